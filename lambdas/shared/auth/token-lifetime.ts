/**
 * The longest an access token may live (SECURITY S9). The user pool's setting must not exceed it
 * (lib/config.ts checks), and whatever waits out every token issued before some moment (enabling
 * a user again after a disable) waits this long.
 */
export const ACCESS_TOKEN_MAX_MINUTES = 60;
