var builder = WebApplication.CreateBuilder(args);
builder.Services.AddProblemDetails();
builder.Services.AddOpenApi();
var app = builder.Build();
app.MapOpenApi();
app.MapGet("/healthz", () => TypedResults.Ok(new { status = "ok" }));
await app.RunAsync();

/// <summary>Entry point, public for WebApplicationFactory.</summary>
public partial class Program;
