// Package bench is the engine of kitebench: named scenarios, a Runner that drives a
// scenario's requests from many concurrent clients and measures every one, and the Result
// table and JSON that report throughput and latency percentiles.
//
// # Kinds of scenario
//
// A LoadScenario is a loop of requests. The Runner calls its Do from Env.Clients goroutines
// for Env.Duration or until Env.Count requests are done, after an unmeasured warm-up. A Do
// that returns an error counts as a failed request, kept out of the latencies; Call and
// CheckStatus make every non-2xx status an error unless the scenario lists the statuses it
// accepts. A LoadScenario that needs data or a login first also implements Setuper.
//
// A StandaloneScenario measures itself (starting processes, holding websockets, seeding) and
// returns its own Results, filling latencies from a Histogram with Result.SetLatencies and
// putting anything else in Result.Metrics.
//
// A LoadScenario that must verify the target after the load (that concurrent writes lost
// nothing) implements Checker; a failed check fails the run. Do learns which client calls it
// from ClientIndex(ctx), so clients can play different roles.
//
// Either kind may implement Validator to reject missing options before anything runs.
//
// # Adding a scenario
//
// Write one file in this package with a type that implements LoadScenario (or
// StandaloneScenario) and a constructor, and add the constructor to the list in
// DefaultScenarios. For example, a file contacts_list.go:
//
//	// ContactsList loads the first page of the contact list.
//	type ContactsList struct{ token string }
//
//	// NewContactsList returns the contacts-list scenario.
//	func NewContactsList() *ContactsList { return &ContactsList{} }
//
//	func (*ContactsList) Name() string        { return "contacts-list" }
//	func (*ContactsList) Description() string { return "GET /api/v1/contacts?limit=50" }
//
//	// Setup logs in once; Do reuses the token from every client.
//	func (s *ContactsList) Setup(ctx context.Context, env *Env) error { ... }
//
//	func (s *ContactsList) Do(ctx context.Context, client *http.Client, env *Env) error {
//		req, err := http.NewRequestWithContext(ctx, http.MethodGet, env.URL("/api/v1/contacts?limit=50"), nil)
//		if err != nil {
//			return err
//		}
//		req.Header.Set("Authorization", "Bearer "+s.token)
//		return Call(client, req)
//	}
//
// Do runs concurrently, so anything it shares must be read-only after Setup or guarded.
// DefaultScenarios builds new values on every call; there is no package-level registry.
package bench
