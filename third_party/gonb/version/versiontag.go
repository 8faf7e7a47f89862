package version

var GitTag = "v0.11.5"
