//! Linking with recycled phone numbers, as Vipps advises: a number that passes to another
//! person gives a new user, while the same person with a re-created Vipps profile (a new
//! `sub`) finds their old user by name. Every scenario runs through GraphQL
//! (`completeVippsLogin`) and through the REST callback, and is checked with the admin
//! `user(id)` and `users(orgId)` queries.

use serde_json::{Value, json};
use vipps_identity::mock_vipps::{AuthorizeMode, MockUser};

use crate::helpers::Auth;
use crate::rig::{LoginRig, ORG_ID, RigOptions, error_code};

/// The phone number Kari had and Ola has now.
const RECYCLED_PHONE: &str = "4791234567";

/// The adapter a login completes through.
#[derive(Debug, Clone, Copy)]
enum Via {
    GraphQl,
    Rest,
}

const ADAPTERS: [Via; 2] = [Via::GraphQl, Via::Rest];

/// Logs in as the mock's user `index` through `via`: the linked user's id, or the error code.
async fn login(rig: &LoginRig, via: Via, index: usize) -> Result<String, String> {
    rig.mock
        .set_authorize(AuthorizeMode::Approve { user: index });
    let redirect = rig.approved_redirect().await;
    match via {
        Via::GraphQl => {
            let input = json!({
                "state": redirect["state"],
                "code": redirect["code"],
                "completionToken": rig.completion_token(&redirect),
            });
            let body = rig
                .app
                .graphql(
                    Auth::None,
                    "mutation($input: CompleteVippsLoginInput!) { completeVippsLogin(input: $input) { user { id } } }",
                    json!({ "input": input }),
                )
                .await;
            match body["data"]["completeVippsLogin"]["user"]["id"].as_str() {
                Some(id) => Ok(id.to_owned()),
                None => Err(error_code(&body)),
            }
        }
        Via::Rest => {
            let response = rig.callback(&redirect).await;
            if response.status == 200 {
                Ok(response.json()["userId"]
                    .as_str()
                    .expect("userId")
                    .to_owned())
            } else {
                let code = response.json()["code"].as_str().expect("code").to_owned();
                response.problem(422, &code);
                Err(code)
            }
        }
    }
}

/// Logs in and expects success: the linked user's id.
async fn linked(rig: &LoginRig, via: Via, index: usize) -> String {
    login(rig, via, index)
        .await
        .unwrap_or_else(|code| panic!("{via:?}: login as user {index} failed with {code}"))
}

/// The user as an administrator sees it: name, phone number and identities.
async fn user(rig: &LoginRig, id: &str) -> Value {
    let body = rig
        .app
        .graphql(
            Auth::Admin,
            "query($id: String!) { user(id: $id) { id name phoneNumber vippsIdentities { sub } } }",
            json!({ "id": id }),
        )
        .await;
    assert!(body["errors"].is_null(), "{body}");
    body["data"]["user"].clone()
}

/// The `sub`s of a user's identities, oldest link first.
fn subs(user: &Value) -> Vec<String> {
    user["vippsIdentities"]
        .as_array()
        .expect("identities")
        .iter()
        .map(|i| i["sub"].as_str().expect("sub").to_owned())
        .collect()
}

/// How many users the organization has.
async fn user_count(rig: &LoginRig) -> u64 {
    let query = format!("{{ users(orgId: \"{ORG_ID}\") {{ pagination {{ total }} }} }}");
    let body = rig.app.graphql(Auth::Admin, &query, json!({})).await;
    body["data"]["users"]["pagination"]["total"]
        .as_u64()
        .unwrap_or_else(|| panic!("{body}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_recycled_phone_number_makes_a_new_user_and_the_old_one_keeps_its_identity() {
    for via in ADAPTERS {
        let rig = LoginRig::new().await;
        let kari = linked(&rig, via, MockUser::KARI).await;
        let kari_subs = subs(&user(&rig, &kari).await);
        let ola = linked(&rig, via, MockUser::OLA).await;
        assert_ne!(ola, kari, "{via:?}: Ola is not logged in as Kari");

        let kari_now = user(&rig, &kari).await;
        assert_eq!(kari_now["name"], "Kari Nordmann", "{via:?}");
        assert!(
            kari_now["phoneNumber"].is_null(),
            "{via:?}: the number is Ola's now: {kari_now}"
        );
        assert_eq!(subs(&kari_now), kari_subs, "{via:?}: Kari's identity stays");
        let ola_now = user(&rig, &ola).await;
        assert_eq!(ola_now["name"], "Ola Hansen", "{via:?}");
        assert_eq!(ola_now["phoneNumber"], RECYCLED_PHONE, "{via:?}");
        assert_eq!(subs(&ola_now).len(), 1, "{via:?}");
        assert_ne!(
            subs(&ola_now),
            kari_subs,
            "{via:?}: Vipps gave Ola his own sub"
        );

        assert_eq!(
            linked(&rig, via, MockUser::OLA).await,
            ola,
            "{via:?}: Ola's next login finds his user by sub"
        );
        assert_eq!(user_count(&rig).await, 2, "{via:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_recreated_profile_with_the_same_name_finds_the_old_user_after_the_number_moved() {
    for via in ADAPTERS {
        let rig = LoginRig::new().await;
        let kari = linked(&rig, via, MockUser::KARI).await;
        let ola = linked(&rig, via, MockUser::OLA).await;
        assert_ne!(ola, kari, "{via:?}");
        assert!(user(&rig, &kari).await["phoneNumber"].is_null(), "{via:?}");

        let recreated = linked(&rig, via, MockUser::KARI_RECREATED).await;
        assert_eq!(
            recreated, kari,
            "{via:?}: the same name on the number Kari last logged in with: Kari's user"
        );
        let kari_now = user(&rig, &kari).await;
        assert_eq!(
            kari_now["phoneNumber"], RECYCLED_PHONE,
            "{via:?}: Kari has it back"
        );
        assert_eq!(
            subs(&kari_now).len(),
            2,
            "{via:?}: old and new sub: {kari_now}"
        );
        let ola_now = user(&rig, &ola).await;
        assert!(
            ola_now["phoneNumber"].is_null(),
            "{via:?}: the number left Ola's user: {ola_now}"
        );
        assert_eq!(subs(&ola_now).len(), 1, "{via:?}: Ola's identity stays");
        assert_eq!(user_count(&rig).await, 2, "{via:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_recreated_profile_with_the_same_name_finds_the_old_user_before_the_number_moved() {
    for via in ADAPTERS {
        let rig = LoginRig::new().await;
        let kari = linked(&rig, via, MockUser::KARI).await;
        let recreated = linked(&rig, via, MockUser::KARI_RECREATED).await;
        assert_eq!(
            recreated, kari,
            "{via:?}: same number, same name: Kari's user"
        );
        assert_eq!(subs(&user(&rig, &kari).await).len(), 2, "{via:?}");

        let ola = linked(&rig, via, MockUser::OLA).await;
        assert_ne!(
            ola, kari,
            "{via:?}: another name on a number held by a linked user: a new user"
        );
        let kari_now = user(&rig, &kari).await;
        assert!(kari_now["phoneNumber"].is_null(), "{via:?}: {kari_now}");
        assert_eq!(
            subs(&kari_now).len(),
            2,
            "{via:?}: both of Kari's identities stay"
        );
        assert_eq!(
            user(&rig, &ola).await["phoneNumber"],
            RECYCLED_PHONE,
            "{via:?}"
        );
        assert_eq!(user_count(&rig).await, 2, "{via:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_recycled_number_in_a_pre_provisioned_only_org_is_no_account_and_changes_nothing() {
    for via in ADAPTERS {
        let rig = LoginRig::with(RigOptions {
            org: json!({ "pre_provisioned_users_only": true }),
            ..RigOptions::default()
        })
        .await;
        let created = rig
            .app
            .graphql(
                Auth::Admin,
                "mutation($input: CreateUserInput!) { createUser(input: $input) { id } }",
                json!({ "input": { "orgId": ORG_ID, "phoneNumber": RECYCLED_PHONE } }),
            )
            .await;
        let kari = created["data"]["createUser"]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("{created}"))
            .to_owned();
        assert_eq!(linked(&rig, via, MockUser::KARI).await, kari, "{via:?}");

        assert_eq!(
            login(&rig, via, MockUser::OLA).await,
            Err("NO_ACCOUNT".to_owned()),
            "{via:?}: the number's user is Kari's, linked under another name"
        );
        let kari_now = user(&rig, &kari).await;
        assert_eq!(
            kari_now["phoneNumber"], RECYCLED_PHONE,
            "{via:?}: nothing written"
        );
        assert_eq!(subs(&kari_now).len(), 1, "{via:?}");
        assert_eq!(
            linked(&rig, via, MockUser::KARI_RECREATED).await,
            kari,
            "{via:?}"
        );
        assert_eq!(user_count(&rig).await, 1, "{via:?}");
    }
}
