using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using Scalar.AspNetCore;
using Shadow.Gateway.Auth;
using Shadow.Gateway.Endpoints;
using Shadow.Gateway.Errors;
using Shadow.Gateway.Streaming;
using Shadow.Gateway.Tasks;
using Shadow.Grains.Hosting;
using Shadow.Sidecar.Contracts;

namespace Shadow.Gateway.Hosting;

/// <summary>All of the gateway's wiring; <c>Program.cs</c> only builds and runs.</summary>
public static class GatewayHostingExtensions
{
    /// <summary>Where the browsable API reference is served.</summary>
    public const string ReferencePath = "/docs";

    /// <summary>Registers the gateway's services and co-hosts the silo (<c>Shadow:Orleans:Mode</c> = <c>CoHosted</c>, the default) or
    /// connects to the PostgreSQL cluster as an Orleans client (<c>Client</c>).</summary>
    public static WebApplicationBuilder AddShadowGateway(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        var configuration = builder.Configuration;

        // The mode decides how Orleans is wired, so it is checked now rather than at start.
        var orleans = configuration.GetSection(ShadowOrleansOptions.SectionName).Get<ShadowOrleansOptions>() ?? new ShadowOrleansOptions();
        var orleansCheck = new ShadowOrleansOptionsValidator().Validate(Options.DefaultName, orleans);
        if (orleansCheck.Failed)
        {
            throw new OptionsValidationException(Options.DefaultName, typeof(ShadowOrleansOptions), orleansCheck.Failures);
        }

        services.AddSingleton<IValidateOptions<ShadowOrleansOptions>, ShadowOrleansOptionsValidator>();
        services.AddOptions<ShadowOrleansOptions>().BindConfiguration(ShadowOrleansOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<GatewayAuthOptions>, GatewayAuthOptionsValidator>();
        services.AddOptions<GatewayAuthOptions>().BindConfiguration(GatewayAuthOptions.SectionName).ValidateOnStart();
        services.AddSingleton(TimeProvider.System);

        // Co-hosting is the one place the gateway touches Shadow.Grains: AddShadowGrains registers the grains' services,
        // storage and runtime. Endpoints see only Shadow.Grains.Abstractions (and the cluster), so Client mode needs none of it.
        if (orleans.IsClient)
        {
            builder.UseOrleansClient(client => client.UseShadowClusterClient(configuration));
        }
        else
        {
            builder.UseOrleans(silo => silo.UseShadowSilo(configuration));
        }

        services.ConfigureHttpJsonOptions(o => SidecarJson.Configure(o.SerializerOptions));
        // Unreadable bodies and parameters throw, so the exception handler can say what was wrong.
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        services.AddProblemDetails();
        services.AddSingleton<ProblemWriter>();
        services.AddExceptionHandler<GatewayExceptionHandler>();
        services.AddOpenApi(o => o.AddDocumentTransformer<BearerSecurityTransformer>());

        services.AddHttpContextAccessor();
        services.AddSingleton<ApiKeyStore>();
        services.AddScoped<CurrentUser>();
        services.AddAuthentication(ApiKeyAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);
        services.AddAuthorization();

        services.AddSingleton<TaskAccess>();
        services.AddSingleton<FeedFollower>();
        return builder;
    }

    /// <summary>The middleware and every route.</summary>
    public static WebApplication MapShadowGateway(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.UseExceptionHandler();
        // Responses that end without a body (unknown route, wrong method, unbindable value) still get problem+json with a detail.
        app.UseStatusCodePages(static async context =>
        {
            var http = context.HttpContext;
            var writer = http.RequestServices.GetRequiredService<ProblemWriter>();
            await writer.WriteAsync(http, http.Response.StatusCode, ProblemWriter.DescribeEmptyStatus(http));
        });
        app.UseAuthentication();
        app.UseApiAuthenticationGuard();
        app.UseAuthorization();
        app.UseRequestBodyLimits();

        app.MapOpenApi();
        app.MapScalarApiReference(ReferencePath, o => o.WithTitle("Shadow API"));
        app.MapHealthApi();
        app.MapTasksApi();
        app.MapWorkspaceApi();
        app.MapFeedsApi();
        return app;
    }
}
