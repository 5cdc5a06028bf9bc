package analytics

// Converted exposes converted to the tests of package analytics_test.
var Converted = converted
