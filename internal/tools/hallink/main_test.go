package main

import "testing"

func TestParseRateAndLoss(t *testing.T) {
	for in, want := range map[string]float64{"50mbit": 50e6, "1Gbit": 1e9, "128kbit": 128e3, "0.5mbit": 5e5} {
		if got, err := parseRate(in); err != nil || got != want {
			t.Errorf("parseRate(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "50", "mbit", "-1mbit", "0mbit", "50mb"} {
		if got, err := parseRate(in); err == nil {
			t.Errorf("parseRate(%q) = %v, want an error", in, got)
		}
	}
	for in, want := range map[string]float64{"0.5%": 0.005, "1": 0.01, "0%": 0} {
		if got, err := parseLoss(in); err != nil || got != want {
			t.Errorf("parseLoss(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "x%", "-1%", "100%"} {
		if got, err := parseLoss(in); err == nil {
			t.Errorf("parseLoss(%q) = %v, want an error", in, got)
		}
	}
}
