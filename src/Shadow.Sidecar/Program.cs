using Shadow.Sidecar.Hosting;

var builder = SidecarHosting.CreateBuilder(args, out var options);
if (options.Validate() is { Count: > 0 } errors)
{
    await Console.Error.WriteLineAsync("Shadow.Sidecar cannot start:");
    foreach (var error in errors)
    {
        await Console.Error.WriteLineAsync("  - " + error);
    }

    return 2;
}

await SidecarHosting.Build(builder, options).RunAsync();
return 0;
