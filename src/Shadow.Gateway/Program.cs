using Shadow.Gateway.Hosting;

// The HTTP API over the grains; by default it co-hosts the silo (see Hosting/GatewayHostingExtensions.cs).
var builder = WebApplication.CreateBuilder(args);
builder.AddShadowGateway();

var app = builder.Build();
app.MapShadowGateway();
await app.RunAsync();

/// <summary>Entry point, public for WebApplicationFactory.</summary>
public partial class Program;
