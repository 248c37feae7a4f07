package pipedrive

import (
	"cmp"
	"context"
	"errors"
	"strings"
	"sync"

	"github.com/crmbridge/crmbridge/adapter"
)

// activityTypes are the activity type keys the adapter logs with.
type activityTypes struct {
	// call is the type of call logs: the active type keyed "call", else
	// one with the call icon or named "Call".
	call string
	// message is the type of message logs: an active type keyed or named
	// "sms", else call.
	message string
}

type activityType struct {
	Name      string `json:"name"`
	KeyString string `json:"key_string"`
	IconKey   string `json:"icon_key"`
	Active    bool   `json:"active_flag"`
}

// errNoCallType is returned when a company has no usable call type.
var errNoCallType = &adapter.UserError{
	Message: "Pipedrive has no active Call activity type. Ask a Pipedrive admin to activate one.",
}

// pickTypes chooses the call and message types from a company's list.
func pickTypes(list []activityType) (activityTypes, error) {
	find := func(match func(activityType) bool) string {
		for _, t := range list {
			if t.Active && t.KeyString != "" && match(t) {
				return t.KeyString
			}
		}
		return ""
	}
	call := find(func(t activityType) bool { return t.KeyString == "call" })
	if call == "" {
		call = find(func(t activityType) bool { return t.IconKey == "call" })
	}
	if call == "" {
		call = find(func(t activityType) bool { return strings.EqualFold(t.Name, "call") })
	}
	if call == "" {
		return activityTypes{}, errNoCallType
	}
	msg := find(func(t activityType) bool {
		return strings.EqualFold(t.KeyString, "sms") || strings.EqualFold(t.Name, "sms")
	})
	return activityTypes{call: call, message: cmp.Or(msg, call)}, nil
}

// typeCache remembers each company's activity types, so the list is fetched
// once per company and process rather than once per log. Concurrent first
// lookups of one company share one request.
type typeCache struct {
	mu      sync.Mutex
	entries map[string]*typeEntry
}

type typeEntry struct {
	ready chan struct{}
	types activityTypes
	err   error
}

// get returns the company's types, calling fetch when none are cached.
// Failures are not cached.
func (c *typeCache) get(ctx context.Context, company string, fetch func(context.Context) (activityTypes, error)) (activityTypes, error) {
	for {
		c.mu.Lock()
		if c.entries == nil {
			c.entries = map[string]*typeEntry{}
		}
		e, ok := c.entries[company]
		if !ok {
			e = &typeEntry{ready: make(chan struct{})}
			c.entries[company] = e
			c.mu.Unlock()
			e.types, e.err = fetch(ctx)
			if e.err != nil {
				c.forget(company, e)
			}
			close(e.ready)
			return e.types, e.err
		}
		c.mu.Unlock()
		select {
		case <-e.ready:
		case <-ctx.Done():
			return activityTypes{}, ctx.Err()
		}
		// A fetch that failed only because its own caller gave up says
		// nothing about this caller: try again.
		if e.err != nil && (errors.Is(e.err, context.Canceled) || errors.Is(e.err, context.DeadlineExceeded)) && ctx.Err() == nil {
			continue
		}
		return e.types, e.err
	}
}

// forget drops the company's entry if it is still e (nil: any entry), so
// that the next log looks the types up again.
func (c *typeCache) forget(company string, e *typeEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if cur, ok := c.entries[company]; ok && (e == nil || cur == e) {
		delete(c.entries, company)
	}
}

// activityTypes returns the company's call and message types.
func (a *Adapter) activityTypes(ctx context.Context, c api, x userExtra) (activityTypes, error) {
	return a.types.get(ctx, x.companyKey(), func(ctx context.Context) (activityTypes, error) {
		var list []activityType
		if err := c.Do(ctx, "GET", "/api/v1/activityTypes", nil, nil, &list); err != nil {
			return activityTypes{}, err
		}
		return pickTypes(list)
	})
}
