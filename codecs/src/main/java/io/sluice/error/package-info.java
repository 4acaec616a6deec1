/**
 * Sluice's error model, shared by every module: an {@link io.sluice.error.ErrorCode} is a stable
 * machine-readable code with a human description (the analogue of SOM's {@code SOMError}), and
 * {@link io.sluice.error.SluiceException} is the unchecked exception every Sluice failure family
 * extends.
 *
 * <p>It lives in the lowest module ({@code sluice-codecs}) so that codec failures and session
 * failures share one type hierarchy without the codecs depending on the SDK. Nothing here does I/O
 * and nothing here is protocol-specific.
 */
package io.sluice.error;
