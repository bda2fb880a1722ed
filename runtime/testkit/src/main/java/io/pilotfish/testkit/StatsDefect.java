package io.pilotfish.testkit;

/** A broken per-container entry in {@code /task/stats} (and that container's {@code /stats}). */
public enum StatsDefect {
    /** The entry is a JSON string instead of an object. */
    NOT_AN_OBJECT,
    /** Numbers are strings and {@code networks} is an array. */
    WRONG_TYPES,
    /** Only {@code read}, {@code preread}, {@code name} and {@code id}: no CPU, memory, network or disk figures. */
    MISSING_FIELDS
}
