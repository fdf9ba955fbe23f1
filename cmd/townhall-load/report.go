package main

import (
	"fmt"
	"io"
	"sort"
	"time"
)

// Report is the summary of a run; --json prints it as is.
type Report struct {
	OK                bool           `json:"ok"`
	Scenario          string         `json:"scenario"`
	URLs              []string       `json:"urls"`
	Session           string         `json:"session"`
	Activity          string         `json:"activity"`
	Phones            int            `json:"phones"`
	Connected         int64          `json:"connected"`
	ConnFailures      int64          `json:"connectionFailures"`
	RampSeconds       float64        `json:"rampSeconds"`
	Connect           Summary        `json:"connectLatency"`
	Sent              int64          `json:"sent"`
	Acked             int64          `json:"acked"`
	Refused           int64          `json:"refused"`
	Unacked           int64          `json:"unacked"`
	Resent            int64          `json:"resent"`
	DuplicateAcks     int64          `json:"duplicateAcks"`
	Drops             int64          `json:"drops"`
	Reconnects        int64          `json:"reconnects"`
	ReconnectFailures int64          `json:"reconnectFailures"`
	ServerReconnects  int64          `json:"serverReconnects"`
	Disconnects       int64          `json:"unexpectedDisconnects"`
	SendSeconds       float64        `json:"sendSeconds"`
	Throughput        float64        `json:"ackedPerSecond"`
	Ack               Summary        `json:"ackLatency"`
	ResentAck         Summary        `json:"resentAckLatency"`
	Display           *Summary       `json:"displayLatency,omitempty"`
	DisplayMissing    int            `json:"displayMissing"`
	PhonePushes       int64          `json:"phonePushes"`
	DisplayPushes     int64          `json:"displayPushes"`
	Errors            map[string]int `json:"errors"`
	Export            ExportCheck    `json:"export"`

	// ReconnectGap is, per lost connection, the time from the phone seeing
	// it end to its next welcome; ReconnectGapUnended the lost connections
	// that had no next welcome (the phone gave up, or the run ended first).
	ReconnectGap        Summary `json:"reconnectGap"`
	ReconnectGapUnended int64   `json:"reconnectGapUnended"`
	// BytesPerPhone is what each connected phone received per second
	// while commands were sent (every frame's payload, pushes and acks).
	BytesPerPhone BytesSummary `json:"bytesPerPhonePerSecond"`
	// SlowPhones is what the --slow-phones saw: how long after its send
	// each upvote reached their view, and their bytes per second.
	SlowPhones *SlowReport `json:"slowPhones,omitempty"`
	// BytesPerPhoneSteady leaves out the first seconds of the send phase
	// (runner.warmBytes); only with --duration.
	BytesPerPhoneSteady BytesSummary `json:"bytesPerPhonePerSecondSteady"`
	Patches             *PatchCheck  `json:"patches,omitempty"`
	Reactions           *StormReport `json:"reactions,omitempty"`
}

func (r *runner) report(ramp, send time.Duration, displayOn bool, check ExportCheck) *Report {
	rep := &Report{
		Scenario:          r.cfg.scenario,
		URLs:              r.cfg.urls,
		Session:           r.sessionID,
		Activity:          r.activityID,
		Phones:            len(r.phones),
		Connected:         r.connected.Load(),
		ConnFailures:      r.connFailures.Load(),
		RampSeconds:       ramp.Seconds(),
		Connect:           r.connectLat.summary(),
		Sent:              r.sent.Load(),
		Acked:             r.acked.Load(),
		Refused:           r.failed.Load(),
		Unacked:           r.pending.Load(),
		Resent:            r.resent.Load(),
		DuplicateAcks:     r.dupAcks.Load(),
		Drops:             r.drops.Load(),
		Reconnects:        r.reconnects.Load(),
		ReconnectFailures: r.reconnectFailures.Load(),
		ServerReconnects:  r.serverReconnects.Load(),
		Disconnects:       r.disconnects.Load(),
		SendSeconds:       send.Seconds(),
		Ack:               r.ackLat.summary(),
		ResentAck:         r.resentAckLat.summary(),
		PhonePushes:       r.pushes.Load(),
		DisplayPushes:     r.displayPushes.Load(),
		Errors:            r.errors.snapshot(),
		Export:            check,

		ReconnectGap:        r.reconnectGap.summary(),
		ReconnectGapUnended: r.gapUnended.Load(),
	}
	if send > 0 {
		rep.Throughput = float64(rep.Acked) / send.Seconds()
	}
	if r.cfg.slowPhones > 0 {
		rep.SlowPhones = &SlowReport{Phones: r.cfg.slowPhones, Kbit: r.cfg.slowKbit, DelayMs: ms(r.cfg.slowDelay),
			ToView: r.slowView.summary()}
	}
	if displayOn {
		lat, missing := r.sc.display()
		s := summarize(lat)
		rep.Display, rep.DisplayMissing = &s, missing
	}
	// Unacked commands leave the export undecidable: the server may or may
	// not have applied them, so such a run does not pass.
	rep.OK = check.Checked && check.Error == "" && check.Lost == 0 && check.Doubled == 0 && rep.Unacked == 0
	return rep
}

func (rep *Report) write(w io.Writer) {
	line := func(name string, s Summary) {
		fmt.Fprintf(w, "  %-20s n=%-7d p50 %8.2f ms  p95 %8.2f ms  p99 %8.2f ms  max %8.2f ms\n", name, s.Count, s.P50, s.P95, s.P99, s.Max)
	}
	fmt.Fprintf(w, "townhall-load: %s scenario, %d phones on %v\n", rep.Scenario, rep.Phones, rep.URLs)
	fmt.Fprintf(w, "  session %s, activity %s\n", rep.Session, rep.Activity)
	fmt.Fprintf(w, "connections: %d connected, %d failures, ramp %.1fs\n", rep.Connected, rep.ConnFailures, rep.RampSeconds)
	line("join+welcome", rep.Connect)
	fmt.Fprintf(w, "commands: %d sent, %d acked, %d refused, %d unacked in %.1fs: %.0f acked/s\n",
		rep.Sent, rep.Acked, rep.Refused, rep.Unacked, rep.SendSeconds, rep.Throughput)
	fmt.Fprintf(w, "reconnects: %d drops, %d reconnects (%d failed), %d resent, %d duplicate acks, %d server reconnects, %d unexpected disconnects\n",
		rep.Drops, rep.Reconnects, rep.ReconnectFailures, rep.Resent, rep.DuplicateAcks, rep.ServerReconnects, rep.Disconnects)
	if rep.ReconnectGap.Count > 0 || rep.ReconnectGapUnended > 0 {
		line("reconnect gap", rep.ReconnectGap)
		if rep.ReconnectGapUnended > 0 {
			fmt.Fprintf(w, "  %d lost connections never came back\n", rep.ReconnectGapUnended)
		}
	}
	fmt.Fprintln(w, "latency:")
	line("ack", rep.Ack)
	if rep.ResentAck.Count > 0 {
		line("ack after resend", rep.ResentAck)
	}
	if rep.Display != nil {
		line("command-to-display", *rep.Display)
		if rep.DisplayMissing > 0 {
			fmt.Fprintf(w, "  %d acked commands never shown on the display\n", rep.DisplayMissing)
		}
	}
	fmt.Fprintf(w, "pushes received: %d by phones, %d by the display\n", rep.PhonePushes, rep.DisplayPushes)
	b := rep.BytesPerPhone
	fmt.Fprintf(w, "bytes per phone per second: mean %.0f, p50 %.0f, p95 %.0f, max %.0f\n", b.Mean, b.P50, b.P95, b.Max)
	if b := rep.BytesPerPhoneSteady; b.Mean > 0 {
		fmt.Fprintf(w, "  after the first seconds: mean %.0f, p50 %.0f, p95 %.0f, max %.0f\n", b.Mean, b.P50, b.P95, b.Max)
	}
	if sp := rep.SlowPhones; sp != nil {
		fmt.Fprintf(w, "%d phones on a %.0f kbit/s link, %.0f ms each way:\n", sp.Phones, sp.Kbit, sp.DelayMs)
		line("upvote to their view", sp.ToView)
		fmt.Fprintf(w, "  bytes per second after the first seconds: mean %.0f, max %.0f\n", sp.Steady.Mean, sp.Steady.Max)
	}
	if pc := rep.Patches; pc != nil {
		fmt.Fprintf(w, "patches: %d patches, %d whole views, %d on a missed base; %d/%d applying phones converged\n",
			pc.Patches, pc.Wholes, pc.Misses, pc.Converged, pc.Applying)
		if pc.Error != "" {
			fmt.Fprintf(w, "  patches NOT CONVERGED: %s\n", pc.Error)
		}
	}
	if len(rep.Errors) == 0 {
		fmt.Fprintln(w, "errors: none")
	} else {
		codes := make([]string, 0, len(rep.Errors))
		for c := range rep.Errors {
			codes = append(codes, c)
		}
		sort.Strings(codes)
		fmt.Fprint(w, "errors:")
		for _, c := range codes {
			fmt.Fprintf(w, " %s=%d", c, rep.Errors[c])
		}
		fmt.Fprintln(w)
	}
	e := rep.Export
	switch {
	case e.Error != "":
		fmt.Fprintf(w, "export: NOT CHECKED: %s\n", e.Error)
	default:
		keys := make([]string, 0, len(e.Expected))
		for k := range e.Expected {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		fmt.Fprint(w, "export:")
		for _, k := range keys {
			fmt.Fprintf(w, " %s %d/%d", k, e.Found[k], e.Expected[k])
		}
		fmt.Fprintf(w, " (found/acked); lost %d, doubled %d\n", e.Lost, e.Doubled)
	}
	rep.Reactions.write(w)
	if rep.OK {
		fmt.Fprintln(w, "result: OK")
	} else {
		fmt.Fprintln(w, "result: FAILED")
	}
}

// SlowReport is what the phones on a slow link saw.
type SlowReport struct {
	Phones  int     `json:"phones"`
	Kbit    float64 `json:"kbit"`
	DelayMs float64 `json:"delayMs"`
	// ToView is, for each upvote that reached a slow phone's view while
	// its entry was there, the time from its send to the push showing it.
	ToView Summary `json:"voteToView"`
	// Steady is their bytes per second over the second half of sending.
	Steady BytesSummary `json:"bytesPerPhonePerSecondSteady"`
}
