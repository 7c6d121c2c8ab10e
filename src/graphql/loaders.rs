//! Batch loading: every `vippsOrg`/`vippsOrgStatus`/`org` field of concurrent requests shares
//! one query, and so does every `vippsIdentities` field.
//! The loader does not cache, so it is safe to share across requests.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::Loader;

use crate::app::App;
use crate::domain::{OrgId, UserId, VippsIdentity, VippsOrg};
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

/// Every `vippsIdentities` field of a response level shares one query.
pub struct IdentitiesLoader(pub Arc<App>);

impl Loader<UserId> for IdentitiesLoader {
    type Value = Vec<VippsIdentity>;
    type Error = Arc<Error>;

    async fn load(
        &self,
        keys: &[UserId],
    ) -> Result<HashMap<UserId, Vec<VippsIdentity>>, Self::Error> {
        service::users::identities_of(&self.0, keys)
            .await
            .map_err(Arc::new)
    }
}
