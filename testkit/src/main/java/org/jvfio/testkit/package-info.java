/**
 * The generator engine and property runners: {@link org.jvfio.testkit.Gen} (generators with
 * integrated shrinking), {@link org.jvfio.testkit.Property} (a seeded, reproducible property run
 * for JUnit 5) and {@link org.jvfio.testkit.StateMachine} (stateful tests of action sequences
 * against a model).
 */
package org.jvfio.testkit;
