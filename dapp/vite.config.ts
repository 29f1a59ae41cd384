import { defineConfig } from 'vite';

// Relative asset paths: the build is a folder of static files any server can serve.
export default defineConfig({
  base: './',
  build: { target: 'es2022', chunkSizeWarningLimit: 2000 },
});
