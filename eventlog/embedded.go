package eventlog

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/townhall/townhall/session"
)

var _ Store = (*Embedded)(nil)

// EmbeddedConfig configures an Embedded store.
type EmbeddedConfig struct {
	// Dir holds the store's one file, townhall.db. It is created if needed.
	Dir string
	// MaxBatch bounds how many appends share one commit. Zero means 1024.
	MaxBatch int
	// SubscriberBuffer is the channel size of a subscription. Zero means 1024.
	SubscriberBuffer int
	// NoSync skips fsync on commit: an acked event may then be lost in a
	// crash. For tests whose subject is not durability; never in a server.
	NoSync bool
}

// Embedded is the single-process store: a bbolt file and in-process
// fan-out. Appends are group-committed: whoever is waiting when a commit
// starts shares its fsync, and each is acked only after it.
type Embedded struct {
	db   *bolt.DB
	cfg  EmbeddedConfig
	reqs chan *appendReq
	quit chan struct{}
	done chan struct{}

	// sendMu lets Close wait for appends that are handing over their
	// request, so that none is queued after the writer has drained.
	sendMu sync.RWMutex
	mu     sync.Mutex
	closed bool
	subs   map[string]map[*subscriber]struct{}
	// last is the last offset of each session, known to the writer.
	last map[string]uint64
	// lastTime keeps time stamps from going backwards within a session.
	lastTime map[string]time.Time
}

type appendReq struct {
	ctx     context.Context
	session string
	ev      session.Event
	done    chan appendRes
}

type appendRes struct {
	offset uint64
	err    error
}

type subscriber struct {
	ch chan session.Event
}

var (
	bSessions = []byte("sessions")
	bCodes    = []byte("codes")
	bConfig   = []byte("config")
	bLog      = []byte("log")
	bSnap     = []byte("snap")
	bDeleted  = []byte("deleted") // tombstones: session id → when it was deleted
	kEpoch    = []byte("epoch")
	kLast     = []byte("last")
	kSnap     = []byte("snapshot")
	kSnapOff  = []byte("snapshot_offset")
	kSecret   = []byte("secret")
)

// OpenEmbedded opens (or creates) the store in cfg.Dir.
func OpenEmbedded(cfg EmbeddedConfig) (*Embedded, error) {
	if cfg.MaxBatch == 0 {
		cfg.MaxBatch = 1024
	}
	if cfg.SubscriberBuffer == 0 {
		cfg.SubscriberBuffer = 1024
	}
	if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("eventlog: data folder: %w", err)
	}
	db, err := bolt.Open(StoreFile(cfg.Dir), 0o600, &bolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("eventlog: open store: %w", err)
	}
	db.NoSync = cfg.NoSync
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bSessions, bCodes, bConfig, bDeleted} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("eventlog: init store: %w", err)
	}
	s := &Embedded{
		db: db, cfg: cfg,
		reqs:     make(chan *appendReq, cfg.MaxBatch),
		quit:     make(chan struct{}),
		done:     make(chan struct{}),
		subs:     map[string]map[*subscriber]struct{}{},
		last:     map[string]uint64{},
		lastTime: map[string]time.Time{},
	}
	go s.writer()
	return s, nil
}

func newEpoch() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func u64(n uint64) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], n)
	return b[:]
}

// Create implements Log.
func (s *Embedded) Create(ctx context.Context, id string) (string, error) {
	epoch := newEpoch()
	err := s.db.Update(func(tx *bolt.Tx) error {
		root := tx.Bucket(bSessions)
		if root.Bucket([]byte(id)) != nil {
			return ErrExists
		}
		b, err := root.CreateBucket([]byte(id))
		if err != nil {
			return err
		}
		if _, err := b.CreateBucket(bLog); err != nil {
			return err
		}
		if err := b.Put(kEpoch, []byte(epoch)); err != nil {
			return err
		}
		return b.Put(kLast, u64(0))
	})
	if err != nil {
		return "", err
	}
	return epoch, nil
}

// Append implements Log.
func (s *Embedded) Append(ctx context.Context, id string, e session.Event) (uint64, error) {
	r := &appendReq{ctx: ctx, session: id, ev: e, done: make(chan appendRes, 1)}
	s.sendMu.RLock()
	s.mu.Lock()
	closed := s.closed
	s.mu.Unlock()
	if closed {
		s.sendMu.RUnlock()
		return 0, ErrClosed
	}
	select {
	case s.reqs <- r:
		s.sendMu.RUnlock()
	case <-ctx.Done():
		s.sendMu.RUnlock()
		return 0, ctx.Err()
	}
	// Once queued, the append is committed whatever the caller's context
	// says, so wait for the answer: it tells whether the event is in.
	res := <-r.done
	return res.offset, res.err
}

// writer commits queued appends in batches, one fsync per batch.
func (s *Embedded) writer() {
	defer close(s.done)
	batch := make([]*appendReq, 0, s.cfg.MaxBatch)
	for {
		select {
		case r := <-s.reqs:
			batch = append(batch[:0], r)
		case <-s.quit:
			// Commit what is still queued, then stop.
			for {
				select {
				case r := <-s.reqs:
					s.commit([]*appendReq{r})
				default:
					return
				}
			}
		}
	more:
		for len(batch) < s.cfg.MaxBatch {
			select {
			case r := <-s.reqs:
				batch = append(batch, r)
			default:
				break more
			}
		}
		s.commit(batch)
	}
}

func (s *Embedded) commit(batch []*appendReq) {
	type done struct {
		r  *appendReq
		ev session.Event
	}
	var written []done
	errs := make([]error, len(batch))
	now := time.Now().UTC()
	err := s.db.Update(func(tx *bolt.Tx) error {
		written = written[:0]
		last := map[string]uint64{}
		for i, r := range batch {
			b, err := sessionBucket(tx, r.session)
			if err != nil {
				errs[i] = fmt.Errorf("session %q: %w", r.session, err)
				continue
			}
			off, ok := last[r.session]
			if !ok {
				off = binary.BigEndian.Uint64(b.Get(kLast))
			}
			ev := r.ev
			ev.Offset = off + 1
			if ev.Time.IsZero() {
				ev.Time = now
				if lt := s.lastTime[r.session]; lt.After(now) {
					ev.Time = lt
				}
			}
			data, err := json.Marshal(ev)
			if err != nil {
				errs[i] = err
				continue
			}
			if err := b.Bucket(bLog).Put(u64(ev.Offset), data); err != nil {
				return err
			}
			last[r.session] = ev.Offset
			written = append(written, done{r, ev})
		}
		for id, off := range last {
			if err := tx.Bucket(bSessions).Bucket([]byte(id)).Put(kLast, u64(off)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		err = fmt.Errorf("eventlog: commit: %w", err)
		for _, r := range batch {
			r.done <- appendRes{err: err}
		}
		return
	}
	for i, r := range batch {
		if errs[i] != nil {
			r.done <- appendRes{err: errs[i]}
		}
	}
	s.mu.Lock()
	for _, d := range written {
		s.last[d.r.session] = d.ev.Offset
		s.lastTime[d.r.session] = d.ev.Time
		for sub := range s.subs[d.r.session] {
			select {
			case sub.ch <- d.ev:
			default: // the subscriber catches up with Read
			}
		}
	}
	s.mu.Unlock()
	for _, d := range written {
		d.r.done <- appendRes{offset: d.ev.Offset}
	}
}

// Read implements Log.
func (s *Embedded) Read(ctx context.Context, id string, after uint64, limit int) ([]session.Event, error) {
	var out []session.Event
	err := s.db.View(func(tx *bolt.Tx) error {
		b, err := sessionBucket(tx, id)
		if err != nil {
			return err
		}
		c := b.Bucket(bLog).Cursor()
		for k, v := c.Seek(u64(after + 1)); k != nil && (limit <= 0 || len(out) < limit); k, v = c.Next() {
			var ev session.Event
			if err := json.Unmarshal(v, &ev); err != nil {
				// A damaged record still takes its place in the order, so
				// that replicas skip it alike.
				ev = session.Event{Cmd: session.Command{Op: "invalid"}}
			}
			ev.Offset = binary.BigEndian.Uint64(k)
			out = append(out, ev)
		}
		return nil
	})
	return out, err
}

// Subscribe implements Log.
func (s *Embedded) Subscribe(ctx context.Context, id string) (<-chan session.Event, func(), error) {
	sub := &subscriber{ch: make(chan session.Event, s.cfg.SubscriberBuffer)}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, nil, ErrClosed
	}
	if s.subs[id] == nil {
		s.subs[id] = map[*subscriber]struct{}{}
	}
	s.subs[id][sub] = struct{}{}
	var once sync.Once
	cancel := func() {
		once.Do(func() {
			s.mu.Lock()
			defer s.mu.Unlock()
			if _, ok := s.subs[id][sub]; ok {
				delete(s.subs[id], sub)
				if len(s.subs[id]) == 0 {
					delete(s.subs, id)
				}
				close(sub.ch)
			}
		})
	}
	return sub.ch, cancel, nil
}

// LastOffset implements Log.
func (s *Embedded) LastOffset(ctx context.Context, id string) (uint64, error) {
	var off uint64
	err := s.db.View(func(tx *bolt.Tx) error {
		b, err := sessionBucket(tx, id)
		if err != nil {
			return err
		}
		off = binary.BigEndian.Uint64(b.Get(kLast))
		return nil
	})
	return off, err
}

// Epoch implements Log.
func (s *Embedded) Epoch(ctx context.Context, id string) (string, error) {
	var epoch string
	err := s.db.View(func(tx *bolt.Tx) error {
		b, err := sessionBucket(tx, id)
		if err != nil {
			return err
		}
		epoch = string(b.Get(kEpoch))
		return nil
	})
	return epoch, err
}

// sessionBucket is a session's bucket, or ErrDeleted for a deleted one,
// or ErrNotFound.
func sessionBucket(tx *bolt.Tx, id string) (*bolt.Bucket, error) {
	if b := tx.Bucket(bSessions).Bucket([]byte(id)); b != nil {
		return b, nil
	}
	if tx.Bucket(bDeleted).Get([]byte(id)) != nil {
		return nil, ErrDeleted
	}
	return nil, ErrNotFound
}

// Delete implements Lifecycle. The space of the session's pages goes to
// bbolt's free list, which later writes reuse; the file itself shrinks only
// by compaction (docs/operations.md).
func (s *Embedded) Delete(ctx context.Context, id string) error {
	if err := s.Ready(ctx); err != nil {
		return err
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		if _, err := sessionBucket(tx, id); err != nil {
			return err
		}
		if err := tx.Bucket(bSessions).DeleteBucket([]byte(id)); err != nil {
			return err
		}
		codes := tx.Bucket(bCodes)
		var mine [][]byte
		codes.ForEach(func(k, v []byte) error {
			if string(v) == id {
				mine = append(mine, append([]byte(nil), k...))
			}
			return nil
		})
		for _, k := range mine {
			if err := codes.Delete(k); err != nil {
				return err
			}
		}
		return tx.Bucket(bDeleted).Put([]byte(id), []byte(time.Now().UTC().Format(time.RFC3339)))
	})
	if err != nil {
		return err
	}
	// Subscribers learn by their channel closing, and the session's next
	// call answering ErrDeleted.
	s.mu.Lock()
	for sub := range s.subs[id] {
		close(sub.ch)
	}
	delete(s.subs, id)
	s.mu.Unlock()
	return nil
}

// Sessions implements Lifecycle.
func (s *Embedded) Sessions(ctx context.Context, fn func(id string, last time.Time) error) error {
	type item struct {
		id   string
		last time.Time
	}
	var all []item
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bSessions).ForEachBucket(func(k []byte) error {
			b := tx.Bucket(bSessions).Bucket(k)
			it := item{id: string(k)}
			if _, v := b.Bucket(bLog).Cursor().Last(); v != nil {
				var ev session.Event
				if json.Unmarshal(v, &ev) == nil {
					it.last = ev.Time
				}
			}
			all = append(all, it)
			return nil
		})
	})
	if err != nil {
		return err
	}
	// fn may call Delete: not inside the read transaction.
	for _, it := range all {
		if err := fn(it.id, it.last); err != nil {
			return err
		}
	}
	return nil
}

// SaveSnapshot implements Snapshots.
//
// The snapshot lives in a bucket of its own. In the session's bucket it
// would share a leaf with the last offset, which every append changes, and
// bbolt would rewrite (and fsync) the whole snapshot, hundreds of kilobytes
// in a large room, on every commit.
func (s *Embedded) SaveSnapshot(ctx context.Context, id string, offset uint64, state []byte) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		sb, err := sessionBucket(tx, id)
		if err != nil {
			return err
		}
		b, err := sb.CreateBucketIfNotExists(bSnap)
		if err != nil {
			return err
		}
		if old, _ := snapshotIn(sb); old >= offset {
			return nil
		}
		// Stores written before the snapshot had its own bucket kept it
		// beside the last offset.
		if err := sb.Delete(kSnap); err != nil {
			return err
		}
		if err := sb.Delete(kSnapOff); err != nil {
			return err
		}
		if err := b.Put(kSnap, state); err != nil {
			return err
		}
		return b.Put(kSnapOff, u64(offset))
	})
}

// snapshotIn finds a session's latest snapshot, in its own bucket or where
// older stores kept it (both, if an older binary ran on this store since).
// The bytes are valid only within the transaction.
func snapshotIn(sb *bolt.Bucket) (off uint64, state []byte) {
	for _, b := range []*bolt.Bucket{sb.Bucket(bSnap), sb} {
		if b == nil {
			continue
		}
		if o := b.Get(kSnapOff); o != nil && (state == nil || binary.BigEndian.Uint64(o) > off) {
			off, state = binary.BigEndian.Uint64(o), b.Get(kSnap)
		}
	}
	return off, state
}

// LoadSnapshot implements Snapshots.
func (s *Embedded) LoadSnapshot(ctx context.Context, id string) (uint64, []byte, error) {
	var off uint64
	var state []byte
	err := s.db.View(func(tx *bolt.Tx) error {
		sb, err := sessionBucket(tx, id)
		if err != nil {
			return err
		}
		o, data := snapshotIn(sb)
		if data == nil {
			return ErrNotFound
		}
		off = o
		state = append([]byte(nil), data...)
		return nil
	})
	return off, state, err
}

// ClaimCode implements Directory.
func (s *Embedded) ClaimCode(ctx context.Context, code, id string) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bCodes)
		if b.Get([]byte(code)) != nil {
			return ErrExists
		}
		return b.Put([]byte(code), []byte(id))
	})
}

// LookupCode implements Directory.
func (s *Embedded) LookupCode(ctx context.Context, code string) (string, error) {
	var id string
	err := s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bCodes).Get([]byte(code))
		if v == nil {
			return ErrNotFound
		}
		id = string(v)
		return nil
	})
	return id, err
}

// Secret implements Directory.
func (s *Embedded) Secret(ctx context.Context, proposed []byte) ([]byte, error) {
	var secret []byte
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bConfig)
		if v := b.Get(kSecret); v != nil {
			secret = append([]byte(nil), v...)
			return nil
		}
		secret = proposed
		return b.Put(kSecret, proposed)
	})
	return secret, err
}

// Ready implements Store.
func (s *Embedded) Ready(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	return nil
}

// Backup writes a consistent copy of the whole store to w (bbolt's online
// Tx.WriteTo, in one read transaction: appends go on meanwhile) and
// returns its size. The copy is a store file: start a server on a folder
// that holds it as townhall.db to restore it.
func (s *Embedded) Backup(w io.Writer) (int64, error) {
	var n int64
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		n, err = tx.WriteTo(w)
		return err
	})
	return n, err
}

// StoreFile is the store's file in a data folder.
func StoreFile(dir string) string { return filepath.Join(dir, "townhall.db") }

// BackupFile copies the store in dir to w without a server: it opens the
// file read-only, which fails (after timeout) while a server holds it.
func BackupFile(dir string, w io.Writer, timeout time.Duration) (int64, error) {
	db, err := bolt.Open(StoreFile(dir), 0o600, &bolt.Options{ReadOnly: true, Timeout: timeout})
	if err != nil {
		return 0, fmt.Errorf("eventlog: open %s: %w", StoreFile(dir), err)
	}
	defer db.Close()
	var n int64
	err = db.View(func(tx *bolt.Tx) error {
		var err error
		n, err = tx.WriteTo(w)
		return err
	})
	return n, err
}

var kProbe = []byte("probe")

// ProbeWrite implements WriteProber: a committed write of the store's
// config bucket, as an append's commit would be.
func (s *Embedded) ProbeWrite(ctx context.Context) error {
	if err := s.Ready(ctx); err != nil {
		return err
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bConfig).Put(kProbe, []byte(time.Now().UTC().Format(time.RFC3339Nano)))
	})
}

// Close commits what is queued, ends every subscription and closes the file.
func (s *Embedded) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()
	s.sendMu.Lock()
	close(s.quit)
	s.sendMu.Unlock()
	<-s.done
	s.mu.Lock()
	for id, subs := range s.subs {
		for sub := range subs {
			close(sub.ch)
		}
		delete(s.subs, id)
	}
	s.mu.Unlock()
	return s.db.Close()
}
