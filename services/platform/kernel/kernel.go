// Package kernel holds the few value types every part of econdip shares:
// Money, a calendar Day, the Astana clock and record ids. Each is defined
// here once, so the services, the events contract and the analytics agree
// on what an amount, a day and "today" are instead of each keeping a copy
// that can drift. It imports no econdip package.
package kernel
