" netc specs: *.net files, except FANN's saved networks (which start with FANN_).
autocmd BufRead,BufNewFile *.net if getline(1) !~# '^FANN_' | setfiletype netc | endif
