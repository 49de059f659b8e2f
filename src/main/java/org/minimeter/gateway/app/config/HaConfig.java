package org.minimeter.gateway.app.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** {@code ha.discovery.*}: Home Assistant MQTT discovery. */
@ConfigMapping(prefix = "ha.discovery")
public interface HaConfig {

    @WithDefault("true")
    boolean enabled();

    @WithDefault("homeassistant")
    String prefix();
}
