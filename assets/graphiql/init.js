// Starts GraphiQL against this server's /graphql endpoint (same origin, no CDN).
// Admin mutations need the admin token: add {"Authorization": "Bearer <token>"} in the Headers tab.
(function () {
  var endpoint = new URL('graphql', window.location.href).toString();
  var fetcher = GraphiQL.createFetcher({ url: endpoint });
  // The example the editor opens with (until the browser has stored a document of its own).
  var defaultQuery = `# vipps-identity GraphQL API: open the docs (book icon) to browse every type.
# Pick an operation with the run button (or Ctrl-Enter); put your own organization's id
# where these say org_demo.

query Orgs {
  vippsOrgs(page: 1, limit: 20) {
    items { orgId clientId environment vippsEnabled createdAt }
    pagination { page limit total }
  }
}

query OrgStatus {
  vippsOrgStatus(orgId: "org_demo") { orgId vippsEnabled clientId environment }
}

query Org {
  vippsOrg(orgId: "org_demo") {
    orgId clientId redirectUri additionalRedirectUris scopes environment vippsEnabled updatedAt
  }
}

# Starts a login: open authorizationUrl in a browser; after Vipps, pass state, code and
# completionToken to completeVippsLogin.
mutation StartLogin {
  startVippsLogin(input: { orgId: "org_demo", nextRelativeUrl: "/welcome" }) {
    authorizationUrl state completionToken expiresAt
  }
}
`;
  var root = ReactDOM.createRoot(document.getElementById('graphiql'));
  root.render(React.createElement(GraphiQL, { fetcher: fetcher, defaultQuery: defaultQuery }));
})();
