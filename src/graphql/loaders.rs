//! Batch loading of the root reads: every `vippsOrg`/`vippsOrgStatus` field of concurrent
//! requests shares one query. The loader does not cache, so it is safe to share across
//! requests. (A user's `org` and `vippsIdentities` are prefetched by look-ahead instead; see
//! `users.rs`.)

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::Loader;

use crate::app::App;
use crate::domain::{OrgId, VippsOrg};
use crate::error::Error;
use crate::service;

pub struct OrgLoader(pub Arc<App>);

impl Loader<OrgId> for OrgLoader {
    type Value = VippsOrg;
    type Error = Arc<Error>;

    async fn load(&self, keys: &[OrgId]) -> Result<HashMap<OrgId, VippsOrg>, Self::Error> {
        let orgs = service::orgs::find_many(&self.0, keys)
            .await
            .map_err(Arc::new)?;
        Ok(orgs
            .into_iter()
            .map(|org| (org.org_id.clone(), org))
            .collect())
    }
}
