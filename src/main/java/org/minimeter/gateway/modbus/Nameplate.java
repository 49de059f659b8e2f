package org.minimeter.gateway.modbus;

/**
 * What does not change while a meter runs: its names for SunSpec's common model and the
 * ratings its fixed scale factors follow from.
 *
 * @param meterId the meter's id: SunSpec's serial number {@code SN}
 * @param model SunSpec's {@code Md}, at most 32 characters are shown
 * @param version the gateway's version: SunSpec's {@code Vr}, at most 16 characters are shown
 * @param unitId the Modbus unit id, 1-247: SunSpec's device address {@code DA}
 * @param elements 1 (SunSpec model 201) or 2 (split phase, model 202)
 * @param nominalVolts 120 (60 Hz) or 240 (50 Hz)
 * @param ctRating CT primary amps per element
 * @param energyScale the power of ten of one count of SunSpec's energy accumulators
 *     ({@code TotWh_SF}); fixed for as long as the meter runs, see {@link #energyScaleFor}
 */
public record Nameplate(String meterId, String model, String version, int unitId, int elements, int nominalVolts,
        int ctRating, int energyScale) {

    public Nameplate {
        if (elements < 1 || elements > 2) {
            throw new IllegalArgumentException("1 or 2 elements");
        }
        if (unitId < 1 || unitId > 247) {
            throw new IllegalArgumentException("unit id 1-247");
        }
        if (energyScale < 0 || energyScale > 9) {
            throw new IllegalArgumentException("energy scale 0-9");
        }
    }

    /**
     * The energy scale factor for a register that starts at {@code largestMicroWh}: whole Wh (0)
     * unless the register already uses half of a 32-bit accumulator's range, then the smallest
     * power of ten that brings it under that. SunSpec's {@code acc32} counts up modulo 2^32 and
     * its readers take differences modulo 2^32, so a wrap is consistent; a scale factor that
     * changed while running would not be, so it is chosen once, when the meter is opened.
     * In whole Wh a 32-bit accumulator wraps after 4.29 GWh: 8.4 years at this device's largest
     * continuous load (2 elements x 132 V x 220 A), centuries for a household.
     */
    public static int energyScaleFor(long largestMicroWh) {
        long wh = Math.max(0, largestMicroWh) / 1_000_000;
        int k = 0;
        while (wh >= (1L << 31) && k < 9) {
            wh /= 10;
            k++;
        }
        return k;
    }
}
