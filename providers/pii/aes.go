package pii

import (
	"crypto/aes"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	smcipher "github.com/emmansun/gmsm/cipher"
	"github.com/emmansun/gmsm/padding"
)

// AESECBEncrypt encrypts plaintext's UTF-8 bytes with AES-ECB and PKCS#5/7
// padding (a full padding block when the input is block-aligned) and returns
// standard Base64 with padding. The key must be 16, 24 or 32 bytes. The
// caller URL-encodes the result when it puts it in a form.
func AESECBEncrypt(key []byte, plaintext string) (string, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return "", fmt.Errorf("pii: AES key: %w", err)
	}
	buf := make([]byte, len(plaintext), len(plaintext)+aes.BlockSize)
	copy(buf, plaintext)
	buf = padding.NewPKCS7Padding(aes.BlockSize).Pad(buf)
	smcipher.NewECBEncrypter(block).CryptBlocks(buf, buf)
	return base64.StdEncoding.EncodeToString(buf), nil
}

// AESECBDecrypt reverses AESECBEncrypt and is strict: anything but canonical
// standard Base64 (no line breaks, no missing padding, no stray bits), a
// ciphertext that is empty or not a multiple of the block size, or invalid
// PKCS#7 padding is an error. Errors never echo the input.
func AESECBDecrypt(key []byte, b64 string) (string, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return "", fmt.Errorf("pii: AES key: %w", err)
	}
	if strings.ContainsAny(b64, "\r\n") {
		return "", errors.New("pii: AES ciphertext: invalid base64 (line break)")
	}
	ct, err := base64.StdEncoding.Strict().DecodeString(b64)
	if err != nil {
		return "", errors.New("pii: AES ciphertext: invalid base64")
	}
	if len(ct) == 0 || len(ct)%aes.BlockSize != 0 {
		return "", fmt.Errorf("pii: AES ciphertext: length %d is not a positive multiple of %d", len(ct), aes.BlockSize)
	}
	smcipher.NewECBDecrypter(block).CryptBlocks(ct, ct)
	pt, err := padding.NewPKCS7Padding(aes.BlockSize).Unpad(ct)
	if err != nil {
		return "", errors.New("pii: AES ciphertext: bad padding (wrong key or corrupted data)")
	}
	return string(pt), nil
}
