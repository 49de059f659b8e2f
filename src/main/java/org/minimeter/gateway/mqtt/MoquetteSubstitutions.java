package org.minimeter.gateway.mqtt;

import com.oracle.svm.core.annotate.Substitute;
import com.oracle.svm.core.annotate.TargetClass;
import io.moquette.broker.config.IConfig;
import io.netty.channel.ChannelHandlerContext;

/**
 * Moquette's optional metrics (Dropwizard, Librato) and error-reporting (Bugsnag) handlers as
 * pass-throughs in a native build. The pom leaves their libraries out, and Quarkus links every
 * class the image reaches at build time: the broker's pipeline set-up reaches both handlers
 * behind switches this gateway never turns on, so the originals would stop the build on types it
 * cannot resolve. Only native-image reads these classes.
 */
final class MoquetteSubstitutions {

    private MoquetteSubstitutions() {
    }

    @TargetClass(className = "io.moquette.broker.metrics.DropWizardMetricsHandler")
    static final class Target_io_moquette_broker_metrics_DropWizardMetricsHandler {

        @Substitute
        public void init(IConfig props) {
            throw new UnsupportedOperationException("Moquette's Dropwizard metrics are not part of this build");
        }

        @Substitute
        public void channelRead(ChannelHandlerContext ctx, Object message) {
            ctx.fireChannelRead(message);
        }

        @Substitute
        public void channelInactive(ChannelHandlerContext ctx) {
            ctx.fireChannelInactive();
        }
    }

    @TargetClass(className = "io.moquette.broker.BugSnagErrorsHandler")
    static final class Target_io_moquette_broker_BugSnagErrorsHandler {

        @Substitute
        public void init(IConfig props) {
            throw new UnsupportedOperationException("Moquette's Bugsnag reporting is not part of this build");
        }

        @Substitute
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.fireExceptionCaught(cause);
        }
    }
}
