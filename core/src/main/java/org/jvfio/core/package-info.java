/** The root of the jvfio models: {@link org.jvfio.core.UapiException}, every uAPI refusal. */
package org.jvfio.core;
