package mail

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"math/big"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Credentials the test server accepts.
const (
	testUser = "kite"
	testPass = "s3cret p@ss"
)

// received is one message as the test server got it.
type received struct {
	From     string
	To       []string
	Data     []byte
	AuthUser string // "" when the client did not authenticate
	TLS      bool   // the transaction ran over TLS
}

// serverOptions shape the test server's behaviour.
type serverOptions struct {
	TLS      *tls.Config     // offer STARTTLS with this config
	Implicit bool            // speak TLS from the first byte (smtps)
	MailErr  *smtp.SMTPError // answer MAIL FROM with this
	RcptErr  *smtp.SMTPError // answer RCPT TO with this
	DataErr  *smtp.SMTPError // answer the end of DATA with this
}

// testServer is an in-process SMTP server on 127.0.0.1 that records what
// it receives and can answer with chosen errors.
type testServer struct {
	Host string
	Port int

	opts    serverOptions
	mu      sync.Mutex
	mails   []received
	authTry int
}

func startServer(t *testing.T, opts serverOptions) *testServer {
	t.Helper()
	ts := &testServer{opts: opts}
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &testSession{srv: ts, conn: c}, nil
	}))
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	srv.ReadTimeout = 10 * time.Second
	srv.WriteTimeout = 10 * time.Second
	srv.TLSConfig = opts.TLS
	srv.ErrorLog = nopLogger{}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	if opts.Implicit {
		ln = tls.NewListener(ln, opts.TLS)
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	addr := ln.Addr().(*net.TCPAddr)
	ts.Host, ts.Port = addr.IP.String(), addr.Port
	return ts
}

// url returns the KITE_SMTP_URL of the server with the test credentials.
func (ts *testServer) url(scheme, query string) string {
	u := scheme + "://" + testUser + ":s3cret%20p%40ss@" + net.JoinHostPort(ts.Host, strconv.Itoa(ts.Port))
	if query != "" {
		u += "?" + query
	}
	return u
}

func (ts *testServer) received() []received {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return append([]received(nil), ts.mails...)
}

func (ts *testServer) authAttempts() int {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return ts.authTry
}

type testSession struct {
	srv  *testServer
	conn *smtp.Conn
	user string
	cur  received
}

func (s *testSession) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *testSession) Auth(mech string) (sasl.Server, error) {
	s.srv.mu.Lock()
	s.srv.authTry++
	s.srv.mu.Unlock()
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != testUser || pass != testPass {
			return &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8}, Message: "Authentication credentials invalid"}
		}
		s.user = user
		return nil
	}), nil
}

func (s *testSession) Mail(from string, _ *smtp.MailOptions) error {
	if s.srv.opts.MailErr != nil {
		return s.srv.opts.MailErr
	}
	_, isTLS := s.conn.TLSConnectionState()
	s.cur = received{From: from, AuthUser: s.user, TLS: isTLS}
	return nil
}

func (s *testSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	if s.srv.opts.RcptErr != nil {
		return s.srv.opts.RcptErr
	}
	s.cur.To = append(s.cur.To, to)
	return nil
}

func (s *testSession) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if s.srv.opts.DataErr != nil {
		return s.srv.opts.DataErr
	}
	s.cur.Data = data
	s.srv.mu.Lock()
	s.srv.mails = append(s.srv.mails, s.cur)
	s.srv.mu.Unlock()
	return nil
}

func (s *testSession) Reset()        { s.cur = received{} }
func (s *testSession) Logout() error { return nil }

type nopLogger struct{}

func (nopLogger) Printf(string, ...any) {}
func (nopLogger) Println(...any)        {}

// testCert makes a self-signed certificate for 127.0.0.1 and a pool that
// trusts it.
func testCert(t *testing.T) (*tls.Config, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "kite test smtp"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &tls.Config{
		Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key, Leaf: cert}},
		MinVersion:   tls.VersionTLS12,
	}, pool
}
