-- Shared by the wrk scripts: a multipart/form-data body holding one PNG in the field "image".
local multipart = {}
multipart.boundary = "lshk-bench-boundary"

function multipart.read(path)
   local f = assert(io.open(path, "rb"))
   local bytes = f:read("*all")
   f:close()
   return bytes
end

function multipart.body(name, png)
   return "--" .. multipart.boundary .. "\r\n" ..
      "Content-Disposition: form-data; name=\"image\"; filename=\"" .. name .. "\"\r\n" ..
      "Content-Type: image/png\r\n\r\n" .. png .. "\r\n--" .. multipart.boundary .. "--\r\n"
end

return multipart
