/**
 * Fixed DANE inputs and their expected outputs, computed outside idzone: the certificate and keys were
 * made with `openssl req -x509 -newkey ec` and `ssh-keygen`, the digests with `openssl dgst` over
 * `openssl pkey -pubin -outform der` / `openssl x509 -outform der`, and the SSHFP lines by
 * `ssh-keygen -r host -f key.pub`.
 */

export const CERT_PEM = `-----BEGIN CERTIFICATE-----
MIIBojCCAUmgAwIBAgIUW3mBlDmvEE7UojNibhq0ZR8wBDwwCgYIKoZIzj0EAwIw
JjEkMCIGA1UEAwwbc2Vuc29yNy5fZGV2aWNlLmV4YW1wbGUubmV0MCAXDTI2MTEy
MjEzMzMxMloYDzIxMjYxMDI5MTMzMzEyWjAmMSQwIgYDVQQDDBtzZW5zb3I3Ll9k
ZXZpY2UuZXhhbXBsZS5uZXQwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAAS5L1nx
SgNHO3czdUuoSgXiZiPGz3CiY3vr46NFcV7vW7VLEcqYmehjWwPeKAyl0Nq2i+Aq
nm5yr1jT7YPAPwwgo1MwUTAdBgNVHQ4EFgQU2fQvKElVeV+rEwoVkcQm0IPBPYEw
HwYDVR0jBBgwFoAU2fQvKElVeV+rEwoVkcQm0IPBPYEwDwYDVR0TAQH/BAUwAwEB
/zAKBggqhkjOPQQDAgNHADBEAiAkakqIswCJBuJFH7Vx8za+2PG79s8paL9W3vXd
DCByNwIgaQdKiiL7nhRroiyNyBtsV30ehE7DI6a8vN2imBQffo4=
-----END CERTIFICATE-----
`;

export const PUBKEY_PEM = `-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEuS9Z8UoDRzt3M3VLqEoF4mYjxs9w
omN76+OjRXFe71u1SxHKmJnoY1sD3igMpdDatovgKp5ucq9Y0+2DwD8MIA==
-----END PUBLIC KEY-----
`;

/** TLSA 3 1 1, 3 1 2 and 3 0 1 of CERT_PEM (openssl). */
export const CERT_311 = '5248023404dc63004dc9c59d4d216cb4939b7d53e42cf04d4cf55dafae6430bb';
export const CERT_312 =
  'b4a54fb9a945bcd72a06e87e31145107d427c6c11198dd45651e434ead14d64435a9b0cb6ee03e39146080117cf6eb6a0a0475d591595d8cecbe1291f401a166';
export const CERT_301 = 'b494b4aeeea4495bd65af5338b6b1075fde0d26852081c1c5432dd606d736479';

export const SSH_ED25519 = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIM4CD0rAwvAsRjo1oCrwx/pG2YLx39VzmXccb1POm+J+ sensor7@example';
export const SSH_ED25519_FP1 = '5de644985c7860c50865dea583dbdf48da5cf217';
export const SSH_ED25519_FP2 = '70adf7e23f6a8c647822c802bc6d3a6deb9870f351dfaead8a30e30f04993f7d';
export const SSH_ECDSA =
  'ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBE+Kgm66OBb9++DZ5DJbOLys29Fy8PZNRYwoTAc/1zq+xxSRvnbQglkxWGZZKjfElMYNvDGSvhUC4z9WXpYzvmE= host';
export const SSH_ECDSA_FP2 = 'e0fc74e563c53d97adcb474158d8f7da861dda9250de30e035c0d876528709e4';
export const SSH_RSA =
  'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQCXJIJ9fKdJ3Xy/rqqgGn74uH8ApGaRNYApxkG9m41vwv2aDO0FqFiVJhsqhNQYiq0RfE5LaGtH9YOq9rKiUa7OVINkuxmdbcaci03BxZWbLOlk5GV0Ky1lRlEgbofLNxZnc2tmqyWf59Y9oen00BAaHmAEeTxbFL8gcVojrWUj+sTvdR0uhe+WeKO2XpwFNd7E0xQI4VSeKRSHMcX2GouRvY1O+FMFjCJX5cQMrK6TITbnwDixMg79y9tZZMDANJFFCvN5adWlPL7WA5h1sbKxpqu+NHL2qwRSkjrCBscQnDNSd21QOtiW98kHlVoWpK5bKsDZ+3xWrIsjGaIbNg6b rsa';
export const SSH_RSA_FP2 = 'b0b50b62c58baff376ff9046799a55da0678ead55f0a87a1857b5f9827500c0c';

/** RFC 7929 §3 example label: sha256("hugh")[:28] (SPECS.md §8.5). */
export const HUGH_LABEL = 'c93f1e400f26708f98cb19d936620da35eec8f72e57f9eec01c1afd6';

export const HEX32 = 'ab'.repeat(32);
export const HEX64 = 'cd'.repeat(64);
