package org.minimeter.gateway.modbus;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/** The register maps a gateway can serve ({@code modbus.map}); one for all its meters. */
public enum RegisterMap {
    /** SunSpec common model 1 and meter model 201 / 202, holding registers from 40000. */
    SUNSPEC("sunspec", RegisterTable.HOLDING),
    /** Eastron SDM630 / SDM120 floats, input registers from 0. */
    SDM("sdm", RegisterTable.INPUT);

    private final String id;
    private final RegisterTable table;

    RegisterMap(String id, RegisterTable table) {
        this.id = id;
        this.table = table;
    }

    public String id() {
        return id;
    }

    /** The one table this map is read from. */
    public RegisterTable table() {
        return table;
    }

    public static List<String> ids() {
        return Arrays.stream(values()).map(RegisterMap::id).toList();
    }

    public static Optional<RegisterMap> byId(String id) {
        return Arrays.stream(values()).filter(m -> m.id.equals(id)).findFirst();
    }

    /** The meter's registers in this map, encoded once from one set of values. */
    public MeterRegisters encode(Nameplate nameplate, MeterValues values) {
        if (values.elements().size() != nameplate.elements()) {
            throw new IllegalArgumentException("values for " + values.elements().size() + " element(s), meter has "
                    + nameplate.elements());
        }
        return this == SUNSPEC ? SunSpecMap.encode(nameplate, values) : SdmMap.encode(nameplate, values);
    }
}
