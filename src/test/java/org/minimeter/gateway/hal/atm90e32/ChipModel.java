package org.minimeter.gateway.hal.atm90e32;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

import org.minimeter.gateway.hal.SpiTransport;

/**
 * A behavioural model of the ATM90E32AS register file behind an SPI transport: it decodes the
 * 4-byte frames, keeps LastSPIData, honours the CfgRegAccEn lock, integrates the energy of a
 * given per-phase power into read-and-clear 16-bit registers (LSB = PL_constant / 45000 µWh,
 * carrying the fraction like the chip's internal accumulator), and resets to defaults.
 * Faults can be injected per transfer. It is not a model of the chip's DSP: readings come
 * from the values set on it.
 */
final class ChipModel implements SpiTransport {

    private final Map<Integer, Integer> regs = new HashMap<>();
    private final double[] powerWatts = new double[3];
    private final double[] lsbFraction = new double[3];
    private int lastSpiData;
    private boolean unlocked;

    /** Addresses whose next read returns a corrupted MISO word (the chip latches the right one). */
    private final Set<Integer> corruptNextRead = new HashSet<>();
    /** Addresses whose next read fails at the bus after the chip has cleared the register. */
    private final Set<Integer> failNextRead = new HashSet<>();
    /** LastSPIData reads return changing garbage while set: nothing can be confirmed. */
    boolean lastSpiGarbage;
    private int garbage = 0x1234;
    /** Every transfer fails while set (device unplugged). */
    boolean busDown;
    long transfers;

    ChipModel() {
        reset();
    }

    /** Power-on or reset: registers back to their defaults, energy cleared, config locked. */
    void reset() {
        regs.clear();
        regs.put(Registers.METER_EN, 0);
        regs.put(Registers.PL_CONST_H, (int) (Atm90e32Config.DEFAULT_PL_CONSTANT >>> 16));
        regs.put(Registers.PL_CONST_L, (int) (Atm90e32Config.DEFAULT_PL_CONSTANT & 0xFFFF));
        regs.put(Registers.MMODE0, 0x0087);
        java.util.Arrays.fill(lsbFraction, 0);
        unlocked = false;
    }

    /** Sets a phase's readings consistently: V, I, P; Q from S and P, PF = P / S. */
    void setPhase(Phase phase, double volts, double amps, double watts) {
        double s = volts * amps;
        double q = Math.sqrt(Math.max(0, s * s - watts * watts));
        powerWatts[phase.ordinal()] = watts;
        put(phase.consecutive(Registers.URMS_A), (int) Math.round(volts * 100));
        put(phase.consecutive(Registers.IRMS_A), (int) Math.round(amps * 1000));
        put32(phase.consecutive(Registers.PMEAN_A), phase.consecutive(Registers.PMEAN_A_LSB), watts);
        put32(phase.consecutive(Registers.QMEAN_A), phase.consecutive(Registers.QMEAN_A_LSB), q);
        put32(phase.consecutive(Registers.SMEAN_A), phase.consecutive(Registers.SMEAN_A_LSB), s);
        put(phase.consecutive(Registers.PFMEAN_A), (int) Math.round(s > 0 ? watts / s * 1000 : 0) & 0xFFFF);
    }

    void setFrequency(double hz) {
        put(Registers.FREQ, (int) Math.round(hz * 100));
    }

    /** The chip integrates for {@code seconds}: whole LSBs land in the forward or reverse register. */
    void advance(double seconds) {
        if (get(Registers.METER_EN) != 1) {
            return;
        }
        long pl = ((long) get(Registers.PL_CONST_H) << 16) | get(Registers.PL_CONST_L);
        double microWhPerLsb = pl / 45_000.0;
        for (Phase p : Phase.values()) {
            double w = powerWatts[p.ordinal()];
            double lsb = lsbFraction[p.ordinal()] + Math.abs(w) * seconds / 3600 * 1e6 / microWhPerLsb;
            long whole = (long) Math.floor(lsb);
            lsbFraction[p.ordinal()] = lsb - whole;
            int reg = w >= 0 ? p.consecutive(Registers.AP_ENERGY_A) : p.consecutive(Registers.AN_ENERGY_A);
            put(reg, (int) ((get(reg) + whole) & 0xFFFF)); // a 16-bit register wraps when not drained
        }
    }

    int get(int address) {
        return regs.getOrDefault(address, 0);
    }

    void corruptNextRead(int address) {
        corruptNextRead.add(address);
    }

    void failNextRead(int address) {
        failNextRead.add(address);
    }

    @Override
    public String description() {
        return "chip model";
    }

    @Override
    public byte[] transfer(byte[] tx) {
        transfers++;
        if (busDown) {
            throw new SpiException("model: device gone");
        }
        if (tx.length != 4) {
            throw new SpiException("model: ATM90E32 frames are 4 bytes, got " + tx.length);
        }
        boolean read = (tx[0] & 0x80) != 0;
        int address = ((tx[0] & 0x03) << 8) | (tx[1] & 0xFF);
        if (!read) {
            int value = ((tx[2] & 0xFF) << 8) | (tx[3] & 0xFF);
            lastSpiData = value;
            if (address == Registers.CFG_REG_ACC_EN) {
                unlocked = value == Registers.CFG_UNLOCK;
            } else if (address >= 0x30 && address <= 0x6F && !unlocked) {
                return new byte[4]; // configuration / calibration registers ignore writes while locked
            } else if (address == Registers.SOFT_RESET && value == 0x789A) {
                reset();
                return new byte[4];
            }
            regs.put(address, value);
            return new byte[4];
        }
        int value;
        if (address == Registers.LAST_SPI_DATA) {
            value = lastSpiGarbage ? (garbage += 0x0101) & 0xFFFF : lastSpiData;
        } else {
            value = get(address);
            if (isEnergy(address)) {
                regs.put(address, 0);
            }
            lastSpiData = value;
            if (failNextRead.remove(address)) {
                throw new SpiException("model: transfer failed after the register was cleared");
            }
            if (corruptNextRead.remove(address)) {
                value ^= 0x0400;
            }
        }
        return new byte[] {0, 0, (byte) (value >> 8), (byte) value};
    }

    private static boolean isEnergy(int address) {
        return address >= 0x80 && address <= 0xAF;
    }

    private void put(int address, int value) {
        regs.put(address, value & 0xFFFF);
    }

    private void put32(int high, int low, double physical) {
        int word = (int) Math.round(physical / Atm90e32.POWER_SCALE);
        put(high, word >>> 16);
        put(low, word & 0xFFFF);
    }

    @Override
    public void close() {
    }
}
