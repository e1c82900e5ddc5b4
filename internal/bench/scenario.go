package bench

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"unicode"
)

// Scenario is anything kitebench can run by name. A scenario is also a LoadScenario or a
// StandaloneScenario; it may add Setuper and Validator.
type Scenario interface {
	// Name is the short, unique name used on the command line, e.g. "readyz".
	Name() string
	// Description says in one line what the scenario measures.
	Description() string
}

// LoadScenario is a request loop: the Runner calls Do from Env.Clients goroutines at once,
// for a duration or a count, and measures each call. Do must be safe for concurrent use.
type LoadScenario interface {
	Scenario
	// Do performs one request with client. A non-nil error counts the request as failed;
	// Call and CheckStatus turn a non-2xx status into an error unless told otherwise.
	Do(ctx context.Context, client *http.Client, env *Env) error
}

// StandaloneScenario measures itself instead of being driven by the Runner, for work that
// is not a loop of requests, such as starting a process. It returns one Result per thing it
// measured.
type StandaloneScenario interface {
	Scenario
	Run(ctx context.Context, env *Env) ([]Result, error)
}

// Setuper is implemented by a LoadScenario that must prepare the target (seed data, log in,
// check it is up) before the load starts. Setup is not measured.
type Setuper interface {
	Setup(ctx context.Context, env *Env) error
}

// Checker is implemented by a LoadScenario that verifies the target once the load is over,
// such as that concurrent writes lost nothing. Check is not measured; it may add Metrics to
// res, and an error fails the scenario.
type Checker interface {
	Check(ctx context.Context, env *Env, res *Result) error
}

// Validator is implemented by a scenario that needs particular options (such as a binary to
// start). Validate is called for every named scenario before any of them runs, so a bad
// invocation fails at once.
type Validator interface {
	Validate(env *Env) error
}

// Execute runs s with env and returns its results. A StandaloneScenario runs itself; a
// LoadScenario is set up (when it is a Setuper), driven by env.Options.Runner() and then
// checked (when it is a Checker). On error, the results measured so far are returned with it.
func Execute(ctx context.Context, s Scenario, env *Env) ([]Result, error) {
	switch s := s.(type) {
	case StandaloneScenario:
		results, err := s.Run(ctx, env)
		if err != nil {
			return results, fmt.Errorf("%s: %w", s.Name(), err)
		}
		return results, nil
	case LoadScenario:
		return executeLoad(ctx, s, env)
	default:
		return nil, fmt.Errorf("scenario %q implements neither Do nor Run", s.Name())
	}
}

// executeLoad sets up s and drives its Do with the Runner.
func executeLoad(ctx context.Context, s LoadScenario, env *Env) ([]Result, error) {
	if setup, ok := s.(Setuper); ok {
		if err := setup.Setup(ctx, env); err != nil {
			return nil, fmt.Errorf("%s: setup: %w", s.Name(), err)
		}
	}
	do := func(ctx context.Context) error { return s.Do(ctx, env.Client, env) }
	res, err := env.Runner().Run(ctx, s.Name(), do)
	if err != nil {
		return []Result{res}, fmt.Errorf("%s: %w", s.Name(), err)
	}
	if check, ok := s.(Checker); ok {
		if err := check.Check(ctx, env, &res); err != nil {
			return []Result{res}, fmt.Errorf("%s: check: %w", s.Name(), err)
		}
	}
	return []Result{res}, nil
}

// Registry holds scenarios by name, in the order they were added.
type Registry struct {
	scenarios []Scenario
}

// NewRegistry returns a registry of the given scenarios, or an error when a name is empty,
// contains white space or is used twice.
func NewRegistry(scenarios ...Scenario) (*Registry, error) {
	r := &Registry{}
	for _, s := range scenarios {
		if err := r.Add(s); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// Add registers s, or returns an error when its name is empty, contains white space or is
// already taken.
func (r *Registry) Add(s Scenario) error {
	name := s.Name()
	if name == "" || strings.ContainsFunc(name, unicode.IsSpace) {
		return fmt.Errorf("scenario name %q: want a non-empty word", name)
	}
	if _, taken := r.Lookup(name); taken {
		return fmt.Errorf("scenario %q registered twice", name)
	}
	r.scenarios = append(r.scenarios, s)
	return nil
}

// Lookup returns the scenario with the given name.
func (r *Registry) Lookup(name string) (Scenario, bool) {
	i := slices.IndexFunc(r.scenarios, func(s Scenario) bool { return s.Name() == name })
	if i < 0 {
		return nil, false
	}
	return r.scenarios[i], true
}

// All returns the scenarios in registration order.
func (r *Registry) All() []Scenario {
	return slices.Clone(r.scenarios)
}

// Names returns the scenario names in registration order.
func (r *Registry) Names() []string {
	names := make([]string, len(r.scenarios))
	for i, s := range r.scenarios {
		names[i] = s.Name()
	}
	return names
}

// DefaultScenarios returns a new registry of every built-in scenario. It is the one list to
// extend when adding a scenario. Each call builds fresh scenario values, so state a scenario
// keeps between Setup and Do never leaks from one registry to another.
func DefaultScenarios() *Registry {
	r, err := NewRegistry(
		NewReadyz(),
		NewColdStart(),
		NewSignIn(),
		NewMe(),
		NewContactsList(),
		NewContactsDeep(),
		NewContactsByTag(),
		NewSearchRare(),
		NewSearchCommon(),
		NewContactsCreate(),
		NewContactsPatch(),
		NewImport(),
		NewDealsBoard(),
		NewDealsMove(),
		NewChatsList(),
		NewChatsUnread(),
		NewTelegramInbound(),
		NewTelegramOutbound(),
		NewInboxFanout(),
		NewWSBroadcast(),
		NewChatOpen(),
	)
	if err != nil {
		panic("bench: invalid built-in scenario list: " + err.Error())
	}
	return r
}
