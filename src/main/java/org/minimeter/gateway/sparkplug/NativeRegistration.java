package org.minimeter.gateway.sparkplug;

import io.quarkus.runtime.annotations.RegisterForReflection;
import org.eclipse.tahu.protobuf.SparkplugBProto.Payload;

/**
 * Sparkplug B's protobuf classes (Eclipse Tahu's generated {@code SparkplugBProto}) as a native
 * image must know them. Building, serialising and parsing payloads is generated code and needs
 * nothing; but protobuf's {@code FieldAccessorTable} finds each getter, setter and builder method
 * by name the first time a message is printed ({@code toString()}) or walked field by field
 * ({@code getAllFields()}), and a native image answers such look-ups only for registered methods.
 * Every message of the schema is here with its builder, so a payload that reaches a log line or an
 * error message prints in a native image as it does on the JVM instead of failing for want of a
 * getter; NativeRegistrationTest fails when Tahu's schema gains a message this list lacks.
 *
 * <p>Methods and constructors only: the accessor table never reads fields. The nested classes are
 * listed one by one because Quarkus finds nested classes only in indexed jars, and Tahu's is not.
 */
@RegisterForReflection(fields = false, ignoreNested = true, targets = {
        Payload.class, Payload.Builder.class,
        Payload.Metric.class, Payload.Metric.Builder.class,
        Payload.Metric.MetricValueExtension.class, Payload.Metric.MetricValueExtension.Builder.class,
        Payload.MetaData.class, Payload.MetaData.Builder.class,
        Payload.PropertyValue.class, Payload.PropertyValue.Builder.class,
        Payload.PropertyValue.PropertyValueExtension.class, Payload.PropertyValue.PropertyValueExtension.Builder.class,
        Payload.PropertySet.class, Payload.PropertySet.Builder.class,
        Payload.PropertySetList.class, Payload.PropertySetList.Builder.class,
        Payload.DataSet.class, Payload.DataSet.Builder.class,
        Payload.DataSet.Row.class, Payload.DataSet.Row.Builder.class,
        Payload.DataSet.DataSetValue.class, Payload.DataSet.DataSetValue.Builder.class,
        Payload.DataSet.DataSetValue.DataSetValueExtension.class,
        Payload.DataSet.DataSetValue.DataSetValueExtension.Builder.class,
        Payload.Template.class, Payload.Template.Builder.class,
        Payload.Template.Parameter.class, Payload.Template.Parameter.Builder.class,
        Payload.Template.Parameter.ParameterValueExtension.class,
        Payload.Template.Parameter.ParameterValueExtension.Builder.class })
final class NativeRegistration {

    private NativeRegistration() {
    }
}
