package testcrm_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/crmbridge/crmbridge/adaptertest"
	"github.com/crmbridge/crmbridge/examples/testcrm"
)

// TestConformance runs the adapter conformance kit against testcrm, with
// fixtures from the contacts NewCRM seeds.
func TestConformance(t *testing.T) {
	t.Parallel()
	crm := testcrm.NewCRM()
	adaptertest.Run(t, adaptertest.Config{
		Adapter:           testcrm.New(crm),
		APIKey:            "conformance-key",
		Hostname:          "acme.testcrm.local",
		ExistingPhone:     "+16505551212", // Alice Anderson
		ExistingContactID: "1001",
		AbsentPhone:       "+16505550000",
		FormatPhone:       "+16505551213", // Bob Brown, stored as "(650) 555-1213"
		OverridingFormat:  "(***) ***-****",
		FormatContactID:   "1002",
		ReadCallLog: func(_ context.Context, logID string) (string, error) {
			c, ok := crm.CallLog(logID)
			if !ok {
				return "", fmt.Errorf("testcrm has no call log %s", logID)
			}
			return c.Note, nil
		},
		ReadMessageLog: func(_ context.Context, logID string) (string, error) {
			m, ok := crm.MessageLog(logID)
			if !ok {
				return "", fmt.Errorf("testcrm has no message log %s", logID)
			}
			return strings.Join(m.Lines, "\n"), nil
		},
	})
}
