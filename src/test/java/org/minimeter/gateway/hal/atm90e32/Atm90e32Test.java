package org.minimeter.gateway.hal.atm90e32;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;
import org.minimeter.gateway.hal.atm90e32.Atm90e32Config.Pga;
import org.minimeter.gateway.hal.atm90e32.Atm90e32Config.PhaseCalibration;

/** Byte transcripts of the ATM90E32AS SPI protocol, derived from the datasheet's frame format. */
class Atm90e32Test {

    private static final Atm90e32Config SPLIT_60 = Atm90e32Config.splitPhase(60, 0x7EAC, 0xB5CB, 0xB5CC);

    @Test
    void read_ofPmeanT_sendsAddressWithReadBitThenClocksTheWordIn() {
        ScriptedSpi spi = new ScriptedSpi().expect("80 B0 00 00", "00 00 12 34");
        assertEquals(0x1234, new Atm90e32(spi, SPLIT_60).read(0x00B0));
        spi.assertDone();
    }

    @Test
    void read_ofTenBitAddress_putsAddressBits9And8InTheFirstByte() {
        ScriptedSpi spi = new ScriptedSpi().expect("83 0F 00 00", "00 00 00 07");
        assertEquals(7, new Atm90e32(spi, SPLIT_60).read(0x30F));
        spi.assertDone();
    }

    @Test
    void write_sendsAddressWithReadBitClearThenValue_andConfirmsThroughLastSpiData() {
        ScriptedSpi spi = new ScriptedSpi()
                .expect("00 33 11 85", "00 00 00 00")
                .expect("80 78 00 00", "00 00 11 85");
        Atm90e32 chip = new Atm90e32(spi, SPLIT_60);
        chip.write(0x33, 0x1185);
        spi.assertDone();
        assertEquals(0, chip.readbackMismatches());
    }

    @Test
    void write_readBackMismatch_isRetriedOnceAndCounted() {
        ScriptedSpi spi = new ScriptedSpi()
                .expect("00 61 7E AC", "00 00 00 00")
                .expect("80 78 00 00", "00 00 7E AD")
                .expect("00 61 7E AC", "00 00 00 00")
                .expect("80 78 00 00", "00 00 7E AC");
        Atm90e32 chip = new Atm90e32(spi, SPLIT_60);
        chip.write(0x61, 0x7EAC);
        spi.assertDone();
        assertEquals(1, chip.readbackMismatches());
    }

    @Test
    void write_readBackMismatchTwice_throwsNamingRegisterAndValues() {
        ScriptedSpi spi = new ScriptedSpi()
                .writeChecked(0x61, 0x7EAC, 0x0000)
                .writeChecked(0x61, 0x7EAC, 0x0000);
        Atm90e32 chip = new Atm90e32(spi, SPLIT_60);
        Atm90e32.ReadbackException e = assertThrows(Atm90e32.ReadbackException.class, () -> chip.write(0x61, 0x7EAC));
        assertEquals("write 0x7EAC to register 0x061 read back 0x0000", e.getMessage());
        assertEquals(2, chip.readbackMismatches());
    }

    @Test
    void readVerified_corruptedWord_isRecoveredFromLastSpiDataReadTwice() {
        ScriptedSpi spi = new ScriptedSpi()
                .expect("80 81 00 00", "00 00 04 64") // APenergyA, one bit flipped on MISO
                .expect("80 78 00 00", "00 00 00 64")
                .expect("80 78 00 00", "00 00 00 64");
        Atm90e32 chip = new Atm90e32(spi, SPLIT_60);
        assertEquals(100, chip.readForwardEnergy(Phase.A));
        assertEquals(1, chip.recoveredReads());
        spi.assertDone();
    }

    @Test
    void readVerified_unconfirmable_throws() {
        ScriptedSpi spi = new ScriptedSpi()
                .expect("80 87 00 00", "00 00 00 10") // ANenergyC
                .expect("80 78 00 00", "00 00 00 11")
                .expect("80 78 00 00", "00 00 00 12");
        Atm90e32 chip = new Atm90e32(spi, SPLIT_60);
        assertThrows(Atm90e32.ReadbackException.class, () -> chip.readReverseEnergy(Phase.C));
    }

    /**
     * The set-up of a 60 Hz split-phase meter on phases A and C: unlock, PL_constant, MMode0
     * 0x1185 (60 Hz, 3P3W, EnPA + EnPC), MMode1, the startup thresholds, per phase PQGain, Phi,
     * Ugain, Igain, Uoffset, Ioffset, then MeterEn and lock; each write confirmed by LastSPIData.
     */
    @Test
    void configure_splitPhase60Hz_isByteExact() {
        List<String> writes = List.of(
                "00 7F 55 AA", // CfgRegAccEn: unlock
                "00 31 08 61", "00 32 C4 68", // PLconstH/L = 0x0861C468
                "00 33 11 85", // MMode0
                "00 34 00 00", // MMode1: PGA x1
                "00 35 0A FC", "00 36 0A EC", "00 37 00 00", "00 38 00 BC", "00 39 00 00",
                "00 47 00 00", "00 48 00 00", // PQGainA, PhiA
                "00 61 7E AC", "00 62 B5 CB", "00 63 00 00", "00 64 00 00", // UgainA IgainA UoffsetA IoffsetA
                "00 4B 00 00", "00 4C 00 00", // PQGainC, PhiC
                "00 69 7E AC", "00 6A B5 CC", "00 6B 00 00", "00 6C 00 00", // UgainC IgainC UoffsetC IoffsetC
                "00 00 00 01", // MeterEn, last: reads 1 only once set-up is complete
                "00 7F 00 00"); // CfgRegAccEn: lock
        ScriptedSpi spi = new ScriptedSpi();
        for (String w : writes) {
            spi.expect(w, "00 00 00 00").expect("80 78 00 00", "00 00 " + w.substring(6));
        }
        new Atm90e32(spi, SPLIT_60).configure();
        spi.assertDone();
    }

    @Test
    void mmode_singlePhase50Hz_andPgaPerPhase() {
        assertEquals(0x0084, Atm90e32Config.singlePhase(50, 0x8000, 0x8000).mmode0());
        assertEquals(0x1185, SPLIT_60.mmode0());
        Atm90e32Config pga = new Atm90e32Config(60, List.of(Phase.A, Phase.C),
                List.of(new PhaseCalibration(1, 1, 0, 0, 0, 0, Pga.X2), new PhaseCalibration(1, 1, 0, 0, 0, 0, Pga.X4)),
                Atm90e32Config.DEFAULT_PL_CONSTANT, 0, 0, 0, 0, 0);
        assertEquals(0x0021, pga.mmode1());
    }

    /** 1 LSB = 0.01 CF; MC = 4.5e11 / PL = 3200 pulses/kWh by default: 1/320000 kWh = 3125 µWh. */
    @Test
    void energyLsb_isPlConstantOver45000MicroWh() {
        assertEquals(3125.0, SPLIT_60.microWhPerLsb(), 0);
        Atm90e32Config doubled = new Atm90e32Config(60, SPLIT_60.phases(), SPLIT_60.calibration(),
                2 * Atm90e32Config.DEFAULT_PL_CONSTANT, 0, 0, 0, 0, 0);
        assertEquals(6250.0, doubled.microWhPerLsb(), 0);
    }

    /** 120.00 V, 15.000 A, 1620 W, 1800 VA, PF 0.900, 60.00 Hz as the chip encodes them. */
    @Test
    void readPhase_scalesRegistersToPhysicalUnits() {
        ScriptedSpi spi = new ScriptedSpi()
                .expect("80 D9 00 00", "00 00 2E E0") // UrmsA 12000 x 0.01 V
                .expect("80 DD 00 00", "00 00 3A 98") // IrmsA 15000 x 0.001 A
                .expect("80 B1 00 00", "00 00 00 4D").expect("80 C1 00 00", "00 00 3F 64") // 5062500 x 0.00032 W
                .expect("80 B5 00 00", "00 00 00 26").expect("80 C5 00 00", "00 00 51 60") // 2511200 x 0.00032 var
                .expect("80 B9 00 00", "00 00 00 55").expect("80 C9 00 00", "00 00 D4 A8") // 5625000 x 0.00032 VA
                .expect("80 BD 00 00", "00 00 03 84") // PFmeanA 900 x 0.001
                .expect("80 F8 00 00", "00 00 17 70"); // Freq 6000 x 0.01 Hz
        Atm90e32 chip = new Atm90e32(spi, SPLIT_60);
        Atm90e32.PhaseReading r = chip.readPhase(Phase.A);
        assertEquals(120.0, r.voltage(), 1e-9);
        assertEquals(15.0, r.current(), 1e-9);
        assertEquals(1620.0, r.power(), 1e-9);
        assertEquals(803.584, r.reactive(), 1e-9);
        assertEquals(1800.0, r.apparent(), 1e-9);
        assertEquals(0.9, r.powerFactor(), 1e-12);
        assertEquals(60.0, chip.readFrequency(), 1e-9);
        spi.assertDone();
    }

    @Test
    void readPhase_exportIsNegativeTwosComplement() {
        ScriptedSpi spi = new ScriptedSpi()
                .read(0xDB, 12000).read(0xDF, 15000)
                .expect("80 B3 00 00", "00 00 FF B2").expect("80 C3 00 00", "00 00 C0 9C") // -5062500
                .read(0xB7, 0).read(0xC7, 0)
                .read(0xBB, 0x0055).read(0xCB, 0xD4A8)
                .expect("80 BF 00 00", "00 00 FC 7C"); // -900
        Atm90e32.PhaseReading r = new Atm90e32(spi, SPLIT_60).readPhase(Phase.C);
        assertEquals(-1620.0, r.power(), 1e-9);
        assertEquals(-0.9, r.powerFactor(), 1e-12);
        spi.assertDone();
    }

    @Test
    void holdsConfig_isFalseOnAChipFreshFromReset() {
        ChipModel model = new ChipModel();
        Atm90e32 chip = new Atm90e32(model, SPLIT_60);
        assertTrue(!chip.holdsConfig());
        chip.configure();
        assertTrue(chip.holdsConfig());
        assertEquals(0xB5CC, model.get(0x6A));
    }

    @Test
    void config_refusesOutOfRangeCodesNamingTheField() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> PhaseCalibration.gains(0x10000, 1));
        assertEquals("ugain must be a 16-bit register code 0x0000..0xFFFF, was 65536", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Atm90e32Config.splitPhase(55, 1, 1, 1));
    }
}
