package providers

import (
	"time"
	_ "time/tzdata" // every vendor's zone loads on any machine, also without a zone database (Windows)
)

// Zone is the time zone a vendor registers (Spec.TimeZone) or a simulator
// keeps its quota day in. The zone database is embedded, so no fallback
// zone is needed: a name that does not load is a programming error, which
// panics like a duplicate Register (TestRegistryComplete loads every
// registered zone).
func Zone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic("providers: time zone " + name + ": " + err.Error())
	}
	return loc
}
