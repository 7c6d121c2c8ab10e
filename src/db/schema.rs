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
    }
}
