package org.minimeter.gateway.hal.atm90e32;

import java.util.List;

import org.jboss.logging.Logger;
import org.minimeter.gateway.hal.SpiTransport;

/**
 * The ATM90E32AS register protocol over one SPI device. Every access is one 4-byte transfer
 * with chip select held (datasheet "SPI Interface"): a 16-bit address word whose MSB is 1 for a
 * read and 0 for a write (address in bits 9:0), then the 16-bit data word, most significant byte
 * first. On a read the chip drives the data word on MISO; on a write it takes it from MOSI.
 *
 * <p>Transport requirements (set where the transport is opened, in {@code hal.pi4j}): SPI mode 3,
 * and a clock of at most 160 kHz: the chip needs about 4 µs between the last address bit and
 * the first data bit (the CircuitSetup driver waits 4 µs there), and at 160 kHz one bit time is
 * 6.25 µs, so a single uninterrupted 4-byte transfer meets it.
 *
 * <p>Integrity: LastSPIData (0x78) holds the last word read or written. After every write the
 * driver reads it back and compares; a mismatch is retried once (writes are idempotent) and then
 * fails. Reads of read-and-clear energy registers use {@link #readVerified}: the register value
 * and LastSPIData must agree, so a corrupted MISO word is never taken for energy.
 *
 * <p>Not thread-safe: one thread (the meter's sampler) drives it.
 */
public final class Atm90e32 {

    private static final Logger LOG = Logger.getLogger(Atm90e32.class);

    /** A word whose read-back through LastSPIData did not match: the transfer cannot be trusted. */
    public static final class ReadbackException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        ReadbackException(String message) {
            super(message);
        }
    }

    private final SpiTransport spi;
    private final Atm90e32Config config;
    private long transfers;
    private long readbackMismatches;
    private long recoveredReads;

    public Atm90e32(SpiTransport spi, Atm90e32Config config) {
        this.spi = spi;
        this.config = config;
    }

    public Atm90e32Config config() {
        return config;
    }

    public String description() {
        return "ATM90E32AS on " + spi.description();
    }

    /** Transfers made so far. */
    public long transfers() {
        return transfers;
    }

    /** LastSPIData read-backs that disagreed (recovered or not). */
    public long readbackMismatches() {
        return readbackMismatches;
    }

    /** Verified reads whose first word was corrupt but whose value LastSPIData confirmed twice. */
    public long recoveredReads() {
        return recoveredReads;
    }

    static byte[] readFrame(int address) {
        return new byte[] {(byte) (0x80 | ((address >> 8) & 0x03)), (byte) address, 0, 0};
    }

    static byte[] writeFrame(int address, int value) {
        return new byte[] {(byte) ((address >> 8) & 0x03), (byte) address, (byte) (value >> 8), (byte) value};
    }

    /** One register read, unverified. */
    public int read(int address) {
        byte[] rx = transfer(readFrame(address));
        return ((rx[2] & 0xFF) << 8) | (rx[3] & 0xFF);
    }

    /**
     * A read whose value is confirmed by LastSPIData, for registers that clear on read (energy):
     * such a register can be read only once, so its word must be right the first time.
     * If the register word and LastSPIData differ, LastSPIData is read again: two equal
     * LastSPIData words are the value the chip latched (the first MISO word was corrupted on the
     * way) and are taken; otherwise the value cannot be trusted and this throws.
     *
     * @throws ReadbackException when the value cannot be confirmed
     * @throws SpiTransport.SpiException when a transfer fails at the bus
     */
    public int readVerified(int address) {
        int value = read(address);
        int last = read(Registers.LAST_SPI_DATA);
        if (last == value) {
            return value;
        }
        readbackMismatches++;
        int again = read(Registers.LAST_SPI_DATA);
        if (again == last) {
            recoveredReads++;
            LOG.debugf("%s: register 0x%03X read 0x%04X, LastSPIData 0x%04X twice: taking 0x%04X",
                    spi.description(), address, value, last, last);
            return last;
        }
        throw new ReadbackException(String.format("register 0x%03X read 0x%04X but LastSPIData 0x%04X then 0x%04X",
                address, value, last, again));
    }

    /**
     * Writes a register and confirms it through LastSPIData; a mismatch is retried once.
     *
     * @throws ReadbackException when the second attempt does not read back either
     */
    public void write(int address, int value) {
        for (int attempt = 1; ; attempt++) {
            transfer(writeFrame(address, value));
            int last = read(Registers.LAST_SPI_DATA);
            if (last == (value & 0xFFFF)) {
                return;
            }
            readbackMismatches++;
            if (attempt == 2) {
                throw new ReadbackException(String.format("write 0x%04X to register 0x%03X read back 0x%04X",
                        value & 0xFFFF, address, last));
            }
        }
    }

    /**
     * Whether the chip is metering with this configuration: MeterEn is 1 and every calibration
     * register reads back as configured. False on a chip fresh from power-up or reset (MeterEn
     * resets to 0) and on one configured by something else.
     */
    public boolean holdsConfig() {
        if (read(Registers.METER_EN) != 0x0001) {
            return false;
        }
        for (Atm90e32Config.Write w : config.calibrationWrites()) {
            int actual = read(w.address());
            if (actual != w.value()) {
                LOG.infof("%s: register 0x%03X holds 0x%04X, configured 0x%04X", spi.description(), w.address(),
                        actual, w.value());
                return false;
            }
        }
        return true;
    }

    /** Whether MeterEn still reads 1: after a chip reset (power glitch, watchdog) it reads 0. */
    public boolean meteringEnabled() {
        return read(Registers.METER_EN) == 0x0001;
    }

    /**
     * Writes the configuration: unlock (CfgRegAccEn = 0x55AA, which the configuration and
     * calibration registers require before they take a write), every calibration register,
     * MeterEn = 1, lock (CfgRegAccEn = 0x0000). MeterEn is written last so that it reads 1 only
     * once the whole configuration is in: an interrupted set-up is seen as not done.
     *
     * <p>No soft reset is issued: every register the metering depends on is written explicitly,
     * and a reset would also clear energy that the caller may not have read yet.
     */
    public void configure() {
        for (Atm90e32Config.Write w : setupSequence(config)) {
            write(w.address(), w.value());
        }
        LOG.infof("%s configured: %d Hz, phases %s, MMode0 0x%04X, MMode1 0x%04X, PL_constant %d (%.3f mWh per energy LSB)",
                spi.description(), config.lineFrequency(), config.phases(), config.mmode0(), config.mmode1(),
                config.plConstant(), config.microWhPerLsb() / 1000);
    }

    /** The complete set-up sequence, in order, as register writes. */
    public static List<Atm90e32Config.Write> setupSequence(Atm90e32Config config) {
        List<Atm90e32Config.Write> cal = config.calibrationWrites();
        Atm90e32Config.Write[] all = new Atm90e32Config.Write[cal.size() + 3];
        all[0] = new Atm90e32Config.Write(Registers.CFG_REG_ACC_EN, Registers.CFG_UNLOCK);
        for (int i = 0; i < cal.size(); i++) {
            all[i + 1] = cal.get(i);
        }
        all[cal.size() + 1] = new Atm90e32Config.Write(Registers.METER_EN, 0x0001);
        all[cal.size() + 2] = new Atm90e32Config.Write(Registers.CFG_REG_ACC_EN, Registers.CFG_LOCK);
        return List.of(all);
    }

    /** Forward (import) active energy of a phase in LSBs since its last read; clears it. */
    public int readForwardEnergy(Phase phase) {
        return readVerified(phase.consecutive(Registers.AP_ENERGY_A));
    }

    /** Reverse (export) active energy of a phase in LSBs since its last read; clears it. */
    public int readReverseEnergy(Phase phase) {
        return readVerified(phase.consecutive(Registers.AN_ENERGY_A));
    }

    /**
     * One phase's instantaneous readings in physical units. Scales (datasheet "Power and Power
     * Factor Registers", "RMS Registers", as used by ESPHome and CircuitSetup): Urms 0.01 V,
     * Irms 0.001 A, PFmean 0.001 (signed); Pmean, Qmean, Smean as a signed 32-bit word of the
     * register (high half) and its LSB register (low half) at 0.00032 W, var, VA per count.
     * These are not read-and-clear, so they are read without LastSPIData verification: a
     * corrupted word affects one published reading, never the register.
     */
    public PhaseReading readPhase(Phase phase) {
        double urms = read(phase.consecutive(Registers.URMS_A)) * 0.01;
        double irms = read(phase.consecutive(Registers.IRMS_A)) * 0.001;
        double p = read32(phase.consecutive(Registers.PMEAN_A), phase.consecutive(Registers.PMEAN_A_LSB)) * POWER_SCALE;
        double q = read32(phase.consecutive(Registers.QMEAN_A), phase.consecutive(Registers.QMEAN_A_LSB)) * POWER_SCALE;
        double s = read32(phase.consecutive(Registers.SMEAN_A), phase.consecutive(Registers.SMEAN_A_LSB)) * POWER_SCALE;
        double pf = (short) read(phase.consecutive(Registers.PFMEAN_A)) * 0.001;
        return new PhaseReading(urms, irms, p, q, s, pf);
    }

    /** Watts (vars, VA) per count of the 32-bit mean power word. */
    public static final double POWER_SCALE = 0.00032;

    /** Line frequency in Hz (Freq register, 0.01 Hz per LSB). */
    public double readFrequency() {
        return read(Registers.FREQ) * 0.01;
    }

    /** Readings of one phase: volts, amps, watts, vars, volt-amperes, power factor (signed). */
    public record PhaseReading(double voltage, double current, double power, double reactive, double apparent,
            double powerFactor) {
    }

    private long read32(int high, int low) {
        int h = read(high);
        int l = read(low);
        return (int) ((h << 16) | l);
    }

    private byte[] transfer(byte[] tx) {
        transfers++;
        byte[] rx = spi.transfer(tx);
        if (rx == null || rx.length != tx.length) {
            throw new SpiTransport.SpiException(spi.description() + ": transfer returned "
                    + (rx == null ? "nothing" : rx.length + " bytes") + " for " + tx.length);
        }
        return rx;
    }
}
