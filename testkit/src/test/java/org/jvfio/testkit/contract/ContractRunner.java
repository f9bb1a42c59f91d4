package org.jvfio.testkit.contract;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.opentest4j.TestAbortedException;

/** Runs the public test methods of a contract instance directly and collects their outcomes. */
final class ContractRunner {
  private ContractRunner() {}

  /** The outcome of one test method: passed, skipped (an assumption failed) or failed. */
  enum Outcome {
    PASSED,
    SKIPPED,
    FAILED
  }

  /** Returns the outcome of the named {@code @Test} methods of {@code contract}, by name. */
  static Map<String, Outcome> run(Object contract, String... names) throws Exception {
    Map<String, Outcome> outcomes = new TreeMap<>();
    for (String name : names) {
      Method m = contract.getClass().getMethod(name);
      if (!m.isAnnotationPresent(Test.class)) {
        throw new IllegalArgumentException(name + " is not a test");
      }
      Outcome o;
      try {
        m.invoke(contract);
        o = Outcome.PASSED;
      } catch (InvocationTargetException e) {
        if (e.getCause() instanceof TestAbortedException) {
          o = Outcome.SKIPPED;
        } else if (e.getCause() instanceof AssertionError) {
          o = Outcome.FAILED;
        } else {
          throw e;
        }
      }
      outcomes.put(m.getName(), o);
    }
    return outcomes;
  }
}
