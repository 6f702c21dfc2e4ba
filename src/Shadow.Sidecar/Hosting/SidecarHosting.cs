using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Json;
using Shadow.Sidecar.Contracts;
using Shadow.Sidecar.Exec;
using Shadow.Sidecar.Files;
using Shadow.Sidecar.Git;
using Shadow.Sidecar.Health;
using Shadow.Sidecar.Search;
using Shadow.Sidecar.Security;
using Shadow.Sidecar.Terminal;
using Shadow.Sidecar.Watch;

namespace Shadow.Sidecar.Hosting;

/// <summary>All of the sidecar's wiring; <c>Program.cs</c> only validates and runs.</summary>
internal static class SidecarHosting
{
    /// <summary>Printed on stdout once Kestrel listens: <c>SHADOW_SIDECAR_LISTENING http://127.0.0.1:PORT</c>.</summary>
    public const string ListeningMarker = "SHADOW_SIDECAR_LISTENING";

    private static readonly Dictionary<string, string> SwitchMappings = new(StringComparer.Ordinal)
    {
        ["--workspace"] = "Sidecar:Workspace",
        ["--state-dir"] = "Sidecar:StateDir",
        ["--parent-pid"] = "Sidecar:ParentPid",
        ["--token-pipe"] = "Sidecar:TokenPipe",
        ["--sandbox"] = "Sidecar:Sandbox:Kind",
        ["--sandbox-network"] = "Sidecar:Sandbox:Network",
    };

    // Start-up garbage (configuration, DI, routing, OpenAPI metadata) is most of an idle sidecar's heap; one aggressive,
    // compacting collection shortly after start gives those pages back, since a workspace may sit idle for hours.
    private static async Task TrimAfterStartupAsync(TimeProvider time, CancellationToken stopping)
    {
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(1), time, stopping).ConfigureAwait(false);
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        }
        catch (OperationCanceledException)
        {
            // Stopping before the trim: nothing to give back.
        }
    }

    public static WebApplicationBuilder CreateBuilder(string[] args, out SidecarOptions options)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = args });
        builder.Configuration.AddCommandLine(args, SwitchMappings);
        options = new SidecarOptions();
        builder.Configuration.GetSection(SidecarOptions.SectionName).Bind(options);
        options.Token = Environment.GetEnvironmentVariable(SidecarOptions.TokenVariable) ?? string.Empty;
        return builder;
    }

    public static WebApplication Build(WebApplicationBuilder builder, SidecarOptions options)
    {
        // The token must not leak into commands the workspace runs.
        Environment.SetEnvironmentVariable(SidecarOptions.TokenVariable, null);
        Directory.CreateDirectory(options.ResolvedStateDir);

        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Limits.MaxRequestBodySize = options.MaxRequestBodyBytes;
            k.AddServerHeader = false;
        });
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
        builder.Services.Configure<JsonOptions>(o => SidecarJson.Configure(o.SerializerOptions));
        builder.Services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(10));
        builder.Services.AddProblemDetails();
        builder.Services.AddExceptionHandler<ProblemExceptionHandler>();
        builder.Services.AddOpenApi();
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(new SidecarToken(options.Token));
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton(new PathGuard(options.Workspace));
        builder.Services.AddHealth();
        builder.Services.AddFiles();
        builder.Services.AddSearch();
        builder.Services.AddTerminal();
        builder.Services.AddExec();
        builder.Services.AddGit();
        builder.Services.AddWatch();
        if (!string.IsNullOrEmpty(options.TokenPipe))
        {
            builder.Services.AddHostedService<TokenPipeReader>();
        }

        if (options.ParentProcessId is not null)
        {
            builder.Services.AddHostedService<ParentWatcher>();
        }

        var app = builder.Build();
        app.UseExceptionHandler();
        // Responses that ended without a body (unknown route, wrong method, a parameter that did not bind) still get problem+json.
        app.UseStatusCodePages(async ctx =>
            await Problems.WriteAsync(ctx.HttpContext, ctx.HttpContext.Response.StatusCode,
                Problems.TitleFor(ctx.HttpContext.Response.StatusCode),
                Problems.DescribeEmptyStatus(ctx.HttpContext)).ConfigureAwait(false));
        app.UseMiddleware<BearerTokenMiddleware>();

        app.MapOpenApi(SidecarRoutes.OpenApi);
        app.MapHealthApi();
        app.MapFilesApi();
        app.MapSearchApi();
        app.MapExecApi();
        app.MapTerminalApi();
        app.MapGitApi();
        app.MapWatchApi();

        app.Lifetime.ApplicationStarted.Register(() =>
        {
            var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
            foreach (var address in addresses)
            {
                Console.Out.WriteLine($"{ListeningMarker} {address}");
            }

            Console.Out.Flush();
            _ = TrimAfterStartupAsync(app.Services.GetRequiredService<TimeProvider>(), app.Lifetime.ApplicationStopping);
        });
        return app;
    }
}
