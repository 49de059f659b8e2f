package org.minimeter.gateway.metering;

/**
 * Running sums of one element over part of a window, in raw ADC units. Everything the
 * window's readings need is a linear function of these sums, so the sampling path only adds,
 * and RMS, power, offset removal, V/I delay correction and the fundamental phasors are all
 * worked out once per window from them.
 */
final class ElementSums {

    /** Effective sample count: fractional where a window edge falls between two samples. */
    double n;
    double sv;
    double si;
    double svv;
    double sii;
    double svi;
    /** sum of v[k] * i[k-1]: with svi, lets the current be delayed by a fraction of a sample. */
    double sviLagI;
    /** sum of v[k-1] * i[k]: with svi, lets the voltage be delayed by a fraction of a sample. */
    double svLagVi;
    /** DFT at the line frequency over whole samples: sums of v*cos, v*sin, i*cos, i*sin. */
    int m;
    double vCos;
    double vSin;
    double iCos;
    double iSin;
    double maxAbsV;
    double maxAbsI;

    void clear() {
        n = sv = si = svv = sii = svi = sviLagI = svLagVi = 0;
        m = 0;
        vCos = vSin = iCos = iSin = 0;
        maxAbsV = maxAbsI = 0;
    }

    /**
     * Adds samples {@code [from, to)}. {@code vPrev}/{@code iPrev} are the samples just before
     * {@code from} (they feed the lagged products). {@code cos}/{@code sin} hold the reference
     * oscillator at the same indices.
     */
    void accumulate(double[] v, double[] i, double[] cos, double[] sin, int from, int to,
            double vPrev, double iPrev) {
        double aV = 0, aI = 0, aVV = 0, aII = 0, aVI = 0, aVIL = 0, aVLI = 0;
        double vp = vPrev;
        double ip = iPrev;
        for (int k = from; k < to; k++) {
            double x = v[k];
            double y = i[k];
            aV += x;
            aI += y;
            aVV += x * x;
            aII += y * y;
            aVI += x * y;
            aVIL += x * ip;
            aVLI += vp * y;
            vp = x;
            ip = y;
        }
        // The phasor and peak sums run as a second pass over the same (cache-hot) samples:
        // one loop holding all fifteen accumulators would spill registers on x86-64.
        double aVC = 0, aVS = 0, aIC = 0, aIS = 0, mV = maxAbsV, mI = maxAbsI;
        for (int k = from; k < to; k++) {
            double x = v[k];
            double y = i[k];
            double c = cos[k];
            double s = sin[k];
            aVC += x * c;
            aVS += x * s;
            aIC += y * c;
            aIS += y * s;
            double ax = Math.abs(x);
            double ay = Math.abs(y);
            if (ax > mV) {
                mV = ax;
            }
            if (ay > mI) {
                mI = ay;
            }
        }
        n += to - from;
        m += to - from;
        sv += aV;
        si += aI;
        svv += aVV;
        sii += aII;
        svi += aVI;
        sviLagI += aVIL;
        svLagVi += aVLI;
        vCos += aVC;
        vSin += aVS;
        iCos += aIC;
        iSin += aIS;
        maxAbsV = mV;
        maxAbsI = mI;
    }

    /** True when no sample fed a NaN or an infinity (squares overflow on absurd values too). */
    boolean isFinite() {
        return Double.isFinite(svv) && Double.isFinite(sii) && Double.isFinite(svi)
                && Double.isFinite(sviLagI) && Double.isFinite(svLagVi)
                && Double.isFinite(vCos + vSin + iCos + iSin);
    }

    void add(ElementSums o) {
        n += o.n;
        sv += o.sv;
        si += o.si;
        svv += o.svv;
        sii += o.sii;
        svi += o.svi;
        sviLagI += o.sviLagI;
        svLagVi += o.svLagVi;
        m += o.m;
        vCos += o.vCos;
        vSin += o.vSin;
        iCos += o.iCos;
        iSin += o.iSin;
        maxAbsV = Math.max(maxAbsV, o.maxAbsV);
        maxAbsI = Math.max(maxAbsI, o.maxAbsI);
    }

    /**
     * Adds {@code w} times the contribution of one sample (v, i) whose predecessors were
     * (vPrev, iPrev). With a negative weight this takes part of a sample out: that is how a
     * window edge that falls between two samples moves the right fraction of the boundary
     * sample from the closing window into the next one, so that each window spans whole
     * cycles and the register, the sum of all windows, still counts every sample once.
     */
    void addFraction(double w, double v, double i, double vPrev, double iPrev) {
        n += w;
        sv += w * v;
        si += w * i;
        svv += w * v * v;
        sii += w * i * i;
        svi += w * v * i;
        sviLagI += w * v * iPrev;
        svLagVi += w * vPrev * i;
    }

    /** Sum over the window of (v - ov)(i - oi): the product with the DC offsets removed. */
    static double centred(double sumProduct, double sumV, double sumI, double n, double ov, double oi) {
        return sumProduct - oi * sumV - ov * sumI + n * ov * oi;
    }
}
