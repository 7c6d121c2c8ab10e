//! Tables shared by both backends (portable types only).

diesel::table! {
    vipps_orgs (org_id) {
        org_id -> Text,
        client_id -> Text,
        client_secret_ref -> Text,
        redirect_uri -> Text,
        scopes -> Text,
        vipps_enabled -> Bool,
        environment -> Text,
        token_endpoint_auth_method -> Text,
        merchant_serial_number -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        pre_provisioned_users_only -> Bool,
        allow_unbound_completion -> Bool,
        additional_redirect_uris -> Text,
    }
}

diesel::table! {
    login_attempts (state_key) {
        state_key -> Text,
        org_id -> Text,
        environment -> Text,
        client_id -> Text,
        nonce -> Text,
        code_verifier -> Text,
        redirect_uri -> Text,
        scopes -> Text,
        next_relative_url -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        consumed_at -> Nullable<Timestamp>,
        completion_key -> Text,
        flow -> Text,
    }
}

diesel::joinable!(login_attempts -> vipps_orgs (org_id));

diesel::table! {
    users (id) {
        id -> Text,
        org_id -> Text,
        name -> Nullable<Text>,
        given_name -> Nullable<Text>,
        family_name -> Nullable<Text>,
        email -> Nullable<Text>,
        email_verified -> Bool,
        phone_number -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        last_login_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    vipps_identities (org_id, environment, sub) {
        org_id -> Text,
        environment -> Text,
        sub -> Text,
        user_id -> Text,
        linked_at -> Timestamp,
        last_login_at -> Timestamp,
        phone_number -> Nullable<Text>,
    }
}

diesel::table! {
    sessions (id) {
        id -> Text,
        org_id -> Text,
        user_id -> Text,
        sub -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        ended_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    audit_events (id) {
        id -> BigInt,
        occurred_at -> Timestamp,
        org_id -> Text,
        kind -> Text,
        actor -> Text,
        user_id -> Nullable<Text>,
        detail -> Text,
    }
}

diesel::table! {
    org_user_counts (id) {
        id -> BigInt,
        org_id -> Text,
        users -> BigInt,
    }
}

diesel::table! {
    consent_webhooks (org_id) {
        org_id -> Text,
        secret -> Text,
        created_at -> Timestamp,
    }
}

// No foreign key behind it (users outlive a removed configuration): an inner join keeps
// only the users of organizations that have one.
diesel::joinable!(users -> vipps_orgs (org_id));
diesel::joinable!(vipps_identities -> users (user_id));
diesel::joinable!(sessions -> users (user_id));
diesel::allow_tables_to_appear_in_same_query!(
    vipps_orgs,
    login_attempts,
    users,
    vipps_identities,
    sessions,
    audit_events,
    consent_webhooks,
    org_user_counts
);
