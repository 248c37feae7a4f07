package main

import (
	"context"
	"fmt"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// setupTracing builds a tracer provider from the standard OpenTelemetry
// variables, or returns nil (tracing off, nothing wrapped) when none asks
// for tracing:
//
//   - OTEL_SDK_DISABLED=true: off.
//   - OTEL_TRACES_EXPORTER=otlp, or unset with OTEL_EXPORTER_OTLP_ENDPOINT or
//     OTEL_EXPORTER_OTLP_TRACES_ENDPOINT set: spans are batched to an OTLP
//     collector over HTTP/protobuf; the exporter reads the other
//     OTEL_EXPORTER_OTLP_* variables (headers, timeout, TLS) itself.
//   - OTEL_TRACES_EXPORTER=none: spans are made (and propagated to CRMs)
//     but exported nowhere, as the specification defines "none".
//   - unset, no endpoint: off.
//
// The SDK reads OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES and
// OTEL_TRACES_SAMPLER(_ARG); the service name defaults to "crmbridge".
// The caller shuts tp down to flush the spans still batched.
func setupTracing(ctx context.Context, getenv func(string) string) (tp *sdktrace.TracerProvider, describe string, err error) {
	if strings.EqualFold(strings.TrimSpace(getenv("OTEL_SDK_DISABLED")), "true") {
		return nil, "off (OTEL_SDK_DISABLED)", nil
	}
	exporter := strings.ToLower(strings.TrimSpace(getenv("OTEL_TRACES_EXPORTER")))
	endpoint := getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != "" || getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != ""
	var opts []sdktrace.TracerProviderOption
	switch {
	case exporter == "" && !endpoint:
		return nil, "off", nil
	case exporter == "none":
		describe = "on, no exporter (OTEL_TRACES_EXPORTER=none)"
	case exporter == "" || exporter == "otlp":
		protocol := getenv("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL")
		if protocol == "" {
			protocol = getenv("OTEL_EXPORTER_OTLP_PROTOCOL")
		}
		if protocol != "" && protocol != "http/protobuf" {
			return nil, "", fmt.Errorf("OTEL_EXPORTER_OTLP_PROTOCOL %q: this server exports OTLP over http/protobuf only", protocol)
		}
		exp, err := otlptracehttp.New(ctx)
		if err != nil {
			return nil, "", fmt.Errorf("OTLP trace exporter: %w", err)
		}
		opts = append(opts, sdktrace.WithBatcher(exp))
		describe = "on, OTLP over HTTP"
	default:
		return nil, "", fmt.Errorf("OTEL_TRACES_EXPORTER %q: supported are otlp and none", exporter)
	}
	res := resource.Default()
	if getenv("OTEL_SERVICE_NAME") == "" && !strings.Contains(getenv("OTEL_RESOURCE_ATTRIBUTES"), "service.name=") {
		res, err = resource.Merge(res, resource.NewSchemaless(attribute.String("service.name", "crmbridge")))
		if err != nil {
			return nil, "", fmt.Errorf("tracing resource: %w", err)
		}
	}
	opts = append(opts, sdktrace.WithResource(res))
	return sdktrace.NewTracerProvider(opts...), describe, nil
}
