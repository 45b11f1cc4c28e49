package deploytest

import (
	"fmt"
	"os"
	"path"
	"path/filepath"

	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
)

// ReadTree reads every file under root, by slash path relative to root.
func ReadTree(root string) (map[string]string, error) {
	files := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		data, err := os.ReadFile(p)
		files[filepath.ToSlash(rel)] = string(data)
		return err
	})
	if err != nil {
		return nil, err
	}
	return files, nil
}

// RenderKustomize renders files (paths relative to the kustomization, as
// ReadTree gives them) as `kubectl kustomize` does; withStore enables the
// optional components first (EnableComponents).
func RenderKustomize(files map[string]string, withStore bool) ([]byte, error) {
	fs := filesys.MakeFsInMemory()
	for name, data := range files {
		if name == "kustomization.yaml" && withStore {
			var err error
			if data, err = EnableComponents(data); err != nil {
				return nil, err
			}
		}
		if err := fs.WriteFile(path.Join("/k", name), []byte(data)); err != nil {
			return nil, err
		}
	}
	rm, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(fs, "/k")
	if err != nil {
		return nil, fmt.Errorf("kustomize build: %w", err)
	}
	return rm.AsYaml()
}
