package org.minimeter.gateway.app.config;

/**
 * One effective value and where it came from, so a problem names the key a person wrote:
 * {@code meters.house.frequency}, or {@code meter.frequency} with the note
 * {@code (inherited by meters.house)}.
 */
record Setting<T>(T value, String key, String note) {
}
