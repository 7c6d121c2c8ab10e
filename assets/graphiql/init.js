// Starts GraphiQL against this server's /graphql endpoint (same origin, no CDN).
// Admin mutations need the admin token: add {"Authorization": "Bearer <token>"} in the Headers tab.
(function () {
  var endpoint = new URL('graphql', window.location.href).toString();
  var fetcher = GraphiQL.createFetcher({ url: endpoint });
  var defaultQuery = [
    '# vipps-identity GraphQL API. Open the docs (book icon) to browse every type.',
    '',
    'query Orgs {',
    '  vippsOrgs(page: 1, limit: 20) {',
    '    items { orgId clientId environment vippsEnabled createdAt }',
    '    pagination { page limit total }',
    '  }',
    '}',
    '',
  ].join('\n');
  var root = ReactDOM.createRoot(document.getElementById('graphiql'));
  root.render(React.createElement(GraphiQL, { fetcher: fetcher, defaultQuery: defaultQuery }));
})();
