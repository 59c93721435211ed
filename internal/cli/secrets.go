package cli

import (
	"crypto/x509"
	"fmt"
	"os"
	"strings"
)

// secret is value, or the content of file (trimmed) when file is given: a password or key
// from a flag, the environment, or a mounted secret. fileFlag names the file's flag in
// errors.
func secret(value, file, fileFlag string) (string, error) {
	if file == "" {
		return value, nil
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return "", fmt.Errorf("%s: %w", fileFlag, err)
	}
	return strings.TrimSpace(string(b)), nil
}

// caPool reads the PEM certificates of file, to verify a server's TLS certificate; flag
// names the file's flag in errors.
func caPool(file, flag string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", flag, err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%s %s: no PEM certificates in it", flag, file)
	}
	return pool, nil
}
