package org.minimeter.gateway.sparkplug;

import java.util.Locale;

/**
 * How far a value must move from the one last reported before it is reported again (report by
 * exception, Sparkplug 3.0 section 2.2): an absolute amount in the metric's own unit, or a
 * percentage of the value last reported.
 *
 * @param amount the amount, or the percentage when {@code percent}; 0 reports every change
 */
public record Deadband(double amount, boolean percent) {

    public Deadband {
        if (!(amount >= 0) || Double.isInfinite(amount) || percent && amount > 100) {
            throw new IllegalArgumentException("a deadband is a finite amount >= 0, or 0-100 %, was " + amount);
        }
    }

    /**
     * {@code 0.5} (absolute, in the metric's unit) or {@code 1%} (of the value last reported).
     *
     * @throws IllegalArgumentException naming what is allowed
     */
    public static Deadband parse(String text) {
        String t = text.trim();
        boolean pct = t.endsWith("%");
        String number = pct ? t.substring(0, t.length() - 1).trim() : t;
        double v;
        try {
            v = Double.parseDouble(number);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not a number");
        }
        return new Deadband(v, pct);
    }

    /**
     * Whether {@code now} is far enough from {@code last} to be reported. Any change counts with
     * a deadband of 0; a move from or to exactly 0 always counts with a percentage (there is no
     * percentage of nothing).
     */
    public boolean exceeded(double last, double now) {
        double d = Math.abs(now - last);
        if (d == 0) {
            return false;
        }
        if (percent) {
            return last == 0 || d >= Math.abs(last) * amount / 100;
        }
        return d >= amount;
    }

    @Override
    public String toString() {
        String n = java.math.BigDecimal.valueOf(amount).stripTrailingZeros().toPlainString();
        return percent ? n + "%" : n.toLowerCase(Locale.ROOT);
    }
}
