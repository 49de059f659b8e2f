package org.minimeter.gateway.app.config;

import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;
import org.minimeter.gateway.hal.ads131m04.Ads131m04Config;
import org.minimeter.gateway.hal.atm90e32.Atm90e32Config;
import org.minimeter.gateway.hal.mcp3208.Mcp3208;
import org.minimeter.gateway.hal.mcp3208.Mcp3208Config;

/**
 * The SPI front ends' configuration ({@code mcp3208}, {@code mcp3008}, {@code ads131m04},
 * {@code atm90e32}): which SPI device, and the physics of the board (SPEC.md section 6). Each
 * per-meter key {@code meters.<id>.<key>} falls back to the flat {@code hal.<key>}, then to the
 * chip's default. The chip drivers check nothing here twice: every value that reaches them is
 * within what they accept.
 */
public final class SpiSource {

    /** MCP3x08: 1 MHz is the MCP3208's rating at 2.7 V (2 MHz at 5 V). */
    static final int MCP_CLOCK_HZ = 1_000_000;
    /** ADS131M04: SCLK up to 25 MHz; 8.192 MHz is its CLKIN and plenty for 8 kHz frames. */
    static final int ADS_CLOCK_HZ = 8_192_000;
    /** ATM90E32: at most 160 kHz (Atm90e32's class comment); 150 kHz leaves a margin. */
    static final int ATM_CLOCK_HZ = 150_000;
    static final int ATM_MAX_CLOCK_HZ = 160_000;

    private SpiSource() {
    }

    /** {@code spi.*}: the device; flat as {@code hal.spi.*}. */
    public interface Spi {
        Optional<Integer> bus();

        Optional<Integer> chipSelect();

        /** Unset: the chip's default ({@value #MCP_CLOCK_HZ} Hz MCP3x08, 8192000 ADS131M04, 150000 ATM90E32). */
        Optional<Integer> clockHz();
    }

    /** {@code frontend.*}: the board's analogue side; flat as {@code hal.frontend.*}. */
    public interface Board {
        /** MCP3x08 reference voltage (full scale of the single-ended input). */
        Optional<Double> vref();

        /** CT primary amps per secondary amp; unset: ct-rating / 0.1 A. */
        Optional<Double> ctRatio();

        Optional<Double> burdenOhms();

        /** Line volts per volt at the ADC input (transformer and divider). */
        Optional<Double> voltageRatio();

        /** MCP3x08 channels V1,I1[,V2,I2]; ADS131M04 channels 0..3 likewise. */
        Optional<List<Integer>> channels();
    }

    /** {@code ads131m04.*}; flat as {@code hal.ads131m04.*}. */
    public interface Ads131m04 {
        /** BCM GPIO of the DRDY line: required for {@code source=ads131m04}. */
        Optional<Integer> drdyPin();
    }

    /** {@code atm90e32.*}; flat as {@code hal.atm90e32.*}. */
    public interface Atm90e32 {
        /** UgainA[,UgainC]: one value for all elements or one per element. */
        Optional<List<Integer>> ugain();

        /** IgainA[,IgainC]: one value for all elements or one per element. */
        Optional<List<Integer>> igain();
    }

    /**
     * A checked front end: the device and exactly one chip configuration.
     *
     * @param mode SPI mode the chip needs (0 MCP3x08, 1 ADS131M04, 3 ATM90E32)
     * @param drdyPin BCM GPIO of the ADS131M04's DRDY, -1 for the others
     */
    public record Settings(String provider, int bus, int chipSelect, int mode, int clockHz,
            Optional<Mcp3208Config> mcp, Optional<Ads131m04Config> ads, int drdyPin, Optional<Atm90e32Config> atm) {

        public String device() {
            return "spidev" + bus + "." + chipSelect;
        }
    }

    /** @param describe the effective keys for the start-up log */
    record Checked(Settings settings, String describe) {
    }

    /** What the meter around the source has already settled. */
    record Meter(int nominal, int elements, int ctRating, int sampleRate, Setting<Integer> sampleRateKey,
            int blockMs) {
    }

    /** Null when a problem was added. */
    static Checked check(Scope sc, SourceKind kind, HalConfig flat, Optional<MetersConfig.MeterEntry> entry,
            Meter m, Problems p) {
        int before = p.count();
        Optional<MetersConfig.MeterEntry> e = sc.named() ? entry : Optional.empty();
        String provider = flat.spi().provider();
        p.require(org.minimeter.gateway.hal.pi4j.Pi4jSpiTransports.PROVIDERS.contains(provider), "hal.spi.provider",
                provider, String.join(", ", org.minimeter.gateway.hal.pi4j.Pi4jSpiTransports.PROVIDERS));
        Setting<Integer> bus = sc.pick(e.flatMap(x -> x.spi().bus()), "spi.bus", flat.spi().bus(), "hal.spi.bus");
        p.require(bus.value() >= 0 && bus.value() <= 6, bus, "0 to 6 (spidev<bus>.<cs>)");
        Setting<Integer> cs = sc.pick(e.flatMap(x -> x.spi().chipSelect()), "spi.chip-select",
                flat.spi().chipSelect(), "hal.spi.chip-select");
        p.require(cs.value() >= 0 && cs.value() <= 2, cs, "0 to 2 (spidev<bus>.<cs>)");
        int defaultClock = switch (kind) {
            case ADS131M04 -> ADS_CLOCK_HZ;
            case ATM90E32 -> ATM_CLOCK_HZ;
            default -> MCP_CLOCK_HZ;
        };
        Setting<Optional<Integer>> clockKey = sc.pickOptional(e.flatMap(x -> x.spi().clockHz()), "spi.clock-hz",
                flat.spi().clockHz(), "hal.spi.clock-hz");
        int clock = clockKey.value().orElse(defaultClock);
        switch (kind) {
            case ATM90E32 -> p.require(clock >= 10_000 && clock <= ATM_MAX_CLOCK_HZ, clockKey, clock,
                    "10000 to 160000 Hz (the ATM90E32 needs about 4 us between address and data: 160 kHz at most)");
            case ADS131M04 -> p.require(clock >= 100_000 && clock <= 25_000_000, clockKey, clock,
                    "100000 to 25000000 Hz (ADS131M04 SCLK)");
            default -> p.require(clock >= 100_000 && clock <= 2_000_000, clockKey, clock,
                    "100000 to 2000000 Hz (MCP3x08: 1 MHz at 2.7 V, 2 MHz at 5 V)");
        }
        StringBuilder d = new StringBuilder(String.format(Locale.ROOT,
                "hal.spi.provider=%s spi.bus=%d spi.chip-select=%d spi.clock-hz=%d", provider, bus.value(),
                cs.value(), clock));
        Settings settings = switch (kind) {
            case MCP3208, MCP3008 -> mcp(sc, kind, flat, e, m, bus, cs, provider, clockKey, clock, d, p, before);
            case ADS131M04 -> ads(sc, flat, e, m, bus, cs, provider, clock, d, p, before);
            case ATM90E32 -> atm(sc, flat, e, m, bus, cs, provider, clock, d, p, before);
            default -> throw new IllegalArgumentException("not an SPI front end: " + kind);
        };
        return settings == null ? null : new Checked(settings, d.toString());
    }

    private static Settings mcp(Scope sc, SourceKind kind, HalConfig flat, Optional<MetersConfig.MeterEntry> e,
            Meter m, Setting<Integer> bus, Setting<Integer> cs, String provider, Setting<?> clockKey, int clock,
            StringBuilder d, Problems p, int before) {
        Mcp3208Config base = Mcp3208Config.forMeter(kind == SourceKind.MCP3008 ? Mcp3208.Variant.MCP3008_10BIT
                : Mcp3208.Variant.MCP3208_12BIT, m.nominal(), m.elements(), m.ctRating());
        Setting<Double> vref = sc.pick(e.flatMap(x -> x.frontend().vref()), "frontend.vref",
                flat.frontend().vref().orElse(base.vref()), "hal.frontend.vref");
        p.require(vref.value() >= 1 && vref.value() <= 5.5, vref, "1 to 5.5 V (MCP3x08 reference)");
        BoardValues b = board(sc, flat, e, m, base.ctRatio(), base.burdenOhms(), base.voltageRatio(), 8, d, p);
        d.append(" frontend.vref=").append(MeterSetup.fmt(vref.value()));
        if (b == null || p.count() > before) {
            return null;
        }
        List<Mcp3208Config.ElementChannels> map = b.channels().size() == 2
                ? List.of(new Mcp3208Config.ElementChannels(b.channels().get(0), b.channels().get(1)))
                : List.of(new Mcp3208Config.ElementChannels(b.channels().get(0), b.channels().get(1)),
                        new Mcp3208Config.ElementChannels(b.channels().get(2), b.channels().get(3)));
        try {
            Mcp3208Config c = new Mcp3208Config(base.variant(), map, vref.value(), b.ctRatio(),
                    b.burdenOhms(), b.voltageRatio(), clock, base.transferGapMicros(),
                    m.sampleRate(), Math.max(1, m.sampleRate() * m.blockMs() / 1000), base.ringBlocks(),
                    base.spinMicros());
            return new Settings(provider, bus.value(), cs.value(), 0, clock, Optional.of(c), Optional.empty(), -1,
                    Optional.empty());
        } catch (IllegalArgumentException ex) {
            // the conversions of one period must fit in it: the clock against the sample rate
            p.require(false, clockKey, clock, "a clock fast enough for every conversion of a sample period at "
                    + m.sampleRateKey().key() + "=" + m.sampleRate() + " (" + ex.getMessage() + ")");
            return null;
        }
    }

    private static Settings ads(Scope sc, HalConfig flat, Optional<MetersConfig.MeterEntry> e, Meter m,
            Setting<Integer> bus, Setting<Integer> cs, String provider, int clock, StringBuilder d, Problems p,
            int before) {
        Ads131m04Config base = Ads131m04Config.forMeter(m.nominal(), m.elements(), m.ctRating());
        BoardValues b = board(sc, flat, e, m, base.ctRatio(), base.burdenOhms(), base.voltageRatio(), 4, d, p);
        Setting<Optional<Integer>> drdy = sc.pickOptional(e.flatMap(x -> x.ads131m04().drdyPin()),
                "ads131m04.drdy-pin", flat.ads131m04().drdyPin(), "hal.ads131m04.drdy-pin");
        p.require(drdy.value().isPresent(), drdy, "(unset)", "the BCM GPIO (0 to 27) wired to the ADS131M04's DRDY");
        drdy.value().ifPresent(pin -> p.require(pin >= 0 && pin <= 27, drdy, pin, "BCM GPIO 0 to 27"));
        // 8 kHz is OSR 512 at 8.192 MHz; the chip offers CLKIN / 2 / OSR only
        p.require(m.sampleRate() == 8000 || m.sampleRate() == 4000 || m.sampleRate() == 16000, m.sampleRateKey(),
                m.sampleRate(), "4000, 8000 or 16000 with source=ads131m04 (8.192 MHz / 2 / OSR)");
        String gpio = flat.gpio().provider();
        p.require(!gpio.equals("simulated") && !gpio.equals("linuxfs"), "hal.gpio.provider", gpio,
                "auto, gpiod or mock with source=ads131m04 (its DRDY input is read through Pi4J's gpiod provider)");
        if (b == null || p.count() > before) {
            return null;
        }
        d.append(" ads131m04.drdy-pin=").append(drdy.value().get());
        List<Integer> ch = b.channels();
        List<Ads131m04Config.ElementChannels> map = m.elements() == 1
                ? List.of(new Ads131m04Config.ElementChannels(ch.get(0), ch.get(1)))
                : List.of(new Ads131m04Config.ElementChannels(ch.get(0), ch.get(1)),
                        new Ads131m04Config.ElementChannels(ch.get(2), ch.get(3)));
        Ads131m04Config c = new Ads131m04Config(map, base.clockHz(), m.sampleRate(), base.voltagePga(),
                base.currentPga(), b.voltageRatio(), b.ctRatio(),
                b.burdenOhms(), base.ctPhaseLeadMicros(), base.drdyTimeoutMicros(),
                Math.max(1, m.sampleRate() * m.blockMs() / 1000), base.ringBlocks());
        return new Settings(provider, bus.value(), cs.value(), 1, clock, Optional.empty(), Optional.of(c),
                drdy.value().get(), Optional.empty());
    }

    private static Settings atm(Scope sc, HalConfig flat, Optional<MetersConfig.MeterEntry> e, Meter m,
            Setting<Integer> bus, Setting<Integer> cs, String provider, int clock, StringBuilder d, Problems p,
            int before) {
        List<Integer> ugain = gains(sc, e.flatMap(x -> x.atm90e32().ugain()), "atm90e32.ugain",
                flat.atm90e32().ugain(), Atm90e32Config.DEFAULT_UGAIN, m.elements(), p);
        List<Integer> igain = gains(sc, e.flatMap(x -> x.atm90e32().igain()), "atm90e32.igain",
                flat.atm90e32().igain(), Atm90e32Config.DEFAULT_IGAIN, m.elements(), p);
        if (p.count() > before) {
            return null;
        }
        d.append(" atm90e32.ugain=").append(join(ugain)).append(" atm90e32.igain=").append(join(igain));
        Atm90e32Config c = m.elements() == 1 ? Atm90e32Config.singlePhase(m.nominal(), ugain.get(0), igain.get(0))
                : Atm90e32Config.splitPhase(m.nominal(), ugain.get(0), igain.get(0), igain.get(1));
        if (m.elements() == 2) {
            // phase C may have its own voltage gain (a second transformer)
            c = new Atm90e32Config(c.lineFrequency(), c.phases(),
                    List.of(Atm90e32Config.PhaseCalibration.gains(ugain.get(0), igain.get(0)),
                            Atm90e32Config.PhaseCalibration.gains(ugain.get(1), igain.get(1))),
                    c.plConstant(), c.pStartThreshold(), c.qStartThreshold(), c.sStartThreshold(),
                    c.pPhaseThreshold(), c.qPhaseThreshold());
        }
        return new Settings(provider, bus.value(), cs.value(), 3, clock, Optional.empty(), Optional.empty(), -1,
                Optional.of(c));
    }

    private static List<Integer> gains(Scope sc, Optional<List<Integer>> own, String sub,
            Optional<List<Integer>> flat, int chipDefault, int elements, Problems p) {
        Setting<Optional<List<Integer>>> s = sc.pickOptional(own, sub, flat, "hal." + sub);
        List<Integer> v = s.value().orElse(List.of(chipDefault));
        p.require(v.size() == 1 || v.size() == elements, s, join(v), "one value, or one per element (" + elements
                + ")");
        for (int g : v) {
            p.require(g >= 1 && g <= 0xFFFF, s, join(v), "register codes 1 to 65535");
        }
        return v.size() == elements ? v : java.util.Collections.nCopies(elements, v.get(0));
    }

    /** The board keys shared by the sampling chips; null if the channel list is unusable. */
    private static BoardValues board(Scope sc, HalConfig flat, Optional<MetersConfig.MeterEntry> e, Meter m,
            double ctRatio, double burden, double voltageRatio, int channels, StringBuilder d, Problems p) {
        Setting<Double> ct = sc.pick(e.flatMap(x -> x.frontend().ctRatio()), "frontend.ct-ratio",
                flat.frontend().ctRatio().orElse(ctRatio), "hal.frontend.ct-ratio");
        p.require(ct.value() >= 1 && ct.value() <= 100_000, ct, "1 to 100000 (primary A per secondary A)");
        Setting<Double> ohms = sc.pick(e.flatMap(x -> x.frontend().burdenOhms()), "frontend.burden-ohms",
                flat.frontend().burdenOhms().orElse(burden), "hal.frontend.burden-ohms");
        p.require(ohms.value() > 0 && ohms.value() <= 10_000, ohms, "more than 0 and at most 10000 ohm");
        Setting<Double> ratio = sc.pick(e.flatMap(x -> x.frontend().voltageRatio()), "frontend.voltage-ratio",
                flat.frontend().voltageRatio().orElse(voltageRatio), "hal.frontend.voltage-ratio");
        p.require(ratio.value() > 0 && ratio.value() <= 10_000, ratio, "more than 0 and at most 10000 line V per ADC V");
        List<Integer> defaults = m.elements() == 1 ? List.of(0, 1) : List.of(0, 1, 2, 3);
        Setting<List<Integer>> ch = sc.pick(e.flatMap(x -> x.frontend().channels()), "frontend.channels",
                flat.frontend().channels().orElse(defaults), "hal.frontend.channels");
        List<Integer> list = ch.value();
        boolean ok = list.size() == 2 * m.elements() && list.stream().allMatch(c -> c >= 0 && c < channels)
                && list.stream().distinct().count() == list.size();
        p.require(ok, ch, join(list), (m.elements() == 1 ? "two" : "four") + " different ADC channels 0 to "
                + (channels - 1) + " as V1,I1" + (m.elements() == 1 ? "" : ",V2,I2"));
        d.append(String.format(Locale.ROOT, " frontend.ct-ratio=%s frontend.burden-ohms=%s frontend.voltage-ratio=%s"
                + " frontend.channels=%s", MeterSetup.fmt(ct.value()), MeterSetup.fmt(ohms.value()),
                MeterSetup.fmt(ratio.value()), join(list)));
        return ok ? new BoardValues(ct.value(), ohms.value(), ratio.value(), list) : null;
    }

    private record BoardValues(double ctRatio, double burdenOhms, double voltageRatio, List<Integer> channels) {
    }

    private static String join(List<Integer> values) {
        return values.stream().map(String::valueOf).collect(Collectors.joining(","));
    }
}
