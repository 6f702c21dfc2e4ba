using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

var builder = Host.CreateApplicationBuilder(args);
builder.Services.AddSingleton(TimeProvider.System);
builder.UseOrleans(silo => silo.UseLocalhostClustering());
await builder.Build().RunAsync();
