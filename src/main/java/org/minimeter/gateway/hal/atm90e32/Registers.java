package org.minimeter.gateway.hal.atm90e32;

/**
 * The ATM90E32AS register addresses this driver uses (Microchip ATM90E32AS datasheet, register
 * map: "Status and Special Registers" 0x00-0x7F, "Configuration Registers" 0x31-0x3A,
 * "Calibration Registers" 0x41-0x4C, "Measurement Calibration Registers" 0x61-0x6E,
 * "Energy Registers" 0x80-0x93, "Power and Power Factor Registers" 0xB0-0xCB, "Fundamental /
 * RMS / Frequency Registers" 0xD9-0xFC). Addresses are 10 bits; every register is 16 bits.
 * Cross-checked against the ESPHome {@code atm90e32} component and the CircuitSetup library.
 */
final class Registers {

    /** Metering enable: 0x0001 enables metering; it reads 0x0000 after a reset (chip-reset sentinel). */
    static final int METER_EN = 0x00;
    static final int SOFT_RESET = 0x70;
    static final int EMM_STATE0 = 0x71;
    static final int EMM_STATE1 = 0x72;
    /** The last 16-bit word read or written on the SPI: the integrity read-back. */
    static final int LAST_SPI_DATA = 0x78;
    /** Writing 0x55AA allows writes to the configuration and calibration registers, 0x0000 locks them. */
    static final int CFG_REG_ACC_EN = 0x7F;
    static final int CFG_UNLOCK = 0x55AA;
    static final int CFG_LOCK = 0x0000;

    static final int PL_CONST_H = 0x31;
    static final int PL_CONST_L = 0x32;
    static final int MMODE0 = 0x33;
    static final int MMODE1 = 0x34;
    static final int P_START_TH = 0x35;
    static final int Q_START_TH = 0x36;
    static final int S_START_TH = 0x37;
    static final int P_PHASE_TH = 0x38;
    static final int Q_PHASE_TH = 0x39;

    /** Per phase, at base + 2 * phase index: PQGainA 0x47, PhiA 0x48, PQGainB 0x49, ... */
    static final int PQ_GAIN_A = 0x47;
    static final int PHI_A = 0x48;
    /** Per phase, at base + 4 * phase index: UgainA 0x61, IgainA 0x62, UoffsetA 0x63, IoffsetA 0x64, UgainB 0x65, ... */
    static final int UGAIN_A = 0x61;
    static final int IGAIN_A = 0x62;
    static final int UOFFSET_A = 0x63;
    static final int IOFFSET_A = 0x64;

    /** Forward (import) active energy of phase A, B, C: 0x81-0x83, read-and-clear. */
    static final int AP_ENERGY_A = 0x81;
    /** Reverse (export) active energy of phase A, B, C: 0x85-0x87, read-and-clear. */
    static final int AN_ENERGY_A = 0x85;

    static final int PMEAN_A = 0xB1;
    static final int QMEAN_A = 0xB5;
    static final int SMEAN_A = 0xB9;
    static final int PFMEAN_A = 0xBD;
    static final int PMEAN_A_LSB = 0xC1;
    static final int QMEAN_A_LSB = 0xC5;
    static final int SMEAN_A_LSB = 0xC9;
    static final int URMS_A = 0xD9;
    static final int IRMS_A = 0xDD;
    static final int FREQ = 0xF8;

    private Registers() {
    }
}
