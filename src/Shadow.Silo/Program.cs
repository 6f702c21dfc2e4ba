using Microsoft.Extensions.Hosting;
using Shadow.Grains.Hosting;

// A standalone silo on the same local store and runtime as the gateway's co-hosted one (Shadow:* settings).
var builder = Host.CreateApplicationBuilder(args);
builder.UseOrleans(silo => silo.UseShadowSilo(builder.Configuration));
await builder.Build().RunAsync();
