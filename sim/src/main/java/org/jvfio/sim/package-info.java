/** The pre-copy live-migration simulator: scenario, engine, verdict and command line. */
package org.jvfio.sim;
