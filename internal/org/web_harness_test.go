package org_test

import (
	"github.com/kite-crm/kite/internal/app/apptest"
	"time"
)

// The page-test harness is shared with other packages' tests.
var (
	startKite    = apptest.StartKite
	newBrowser   = apptest.NewBrowser
	mustRedirect = apptest.MustRedirect
)

const testPassword = apptest.TestPassword

type (
	browser = apptest.Browser
	page    = apptest.Page
)

func sleep() { time.Sleep(100 * time.Millisecond) }
